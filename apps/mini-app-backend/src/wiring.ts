/**
 * What main.ts (and the integration specs, through the same function) hand AppModule.register: the action forms with
 * their settings from the validated config, the malware scanner the config asks for (clamd when CLAMAV_HOST is set,
 * else NOT_SCANNED), and the forms' strings. Without the card processor's variables the three processor forms
 * (card.update, payment.authorize, payment.bank_transfer) are not registered: those actions say "call us".
 */
import { actionFormProviders, FORM_STRINGS, type ActionFormSettings } from './actions/forms';
import type { AppModuleOptions } from './app.module';
import type { Config } from './config';
import { createMalwareScanner } from './documents/clamd-scanner';

export function actionFormSettings(config: Config): ActionFormSettings {
  return {
    ...(config.CARD_PROCESSOR_URL && config.CARD_PROCESSOR_API_KEY
      ? { cardProcessor: { url: config.CARD_PROCESSOR_URL, apiKey: config.CARD_PROCESSOR_API_KEY } }
      : {}),
    ...(config.MINIAPP_PROCESSOR_STATE_KEY ? { processorStateKey: config.MINIAPP_PROCESSOR_STATE_KEY } : {}),
    // The same bound as the multipart reader's: a larger file is cut there (413 naming the field).
    maxDocumentBytes: config.MINIAPP_UPLOAD_MAX_BYTES,
  };
}

export function miniAppModuleOptions(config: Config): AppModuleOptions {
  return {
    actionFormProviders: actionFormProviders(actionFormSettings(config), createMalwareScanner(config)),
    strings: FORM_STRINGS,
  };
}

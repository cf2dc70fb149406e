// Reaches customers over SMS, email and WhatsApp for outreach.requested.v1 and reports what became of each message.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';
import { messagingHttpOptions } from './http-options';

launchService({
  name: 'messaging',
  port: 3003,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
  // Provider webhooks and the one-click unsubscribe read their own body; the internal API is behind bearer tokens.
  http: messagingHttpOptions,
});

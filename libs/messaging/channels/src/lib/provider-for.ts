import type { Channel, ChannelProvider } from './channel-provider';
import { ProviderConfigError } from './provider-errors';
import type { ProviderLogger } from './provider-http';
import { parseTwilioSmsConfig } from './sms/twilio-sms.config';
import { TwilioSmsProvider } from './sms/twilio-sms.provider';
import { parseWhatsAppCloudConfig } from './whatsapp/whatsapp-cloud.config';
import { WhatsAppCloudProvider } from './whatsapp/whatsapp-cloud.provider';

export interface ProviderOptions {
  now?: () => number;
  logger?: ProviderLogger;
}

type Factory = (config: unknown, options: ProviderOptions) => ChannelProvider;

/** The provider of each channel that has one here, built from its validated configuration. */
const FACTORIES: Partial<Record<Channel, Factory>> = {
  SMS: (config, options) => new TwilioSmsProvider(parseTwilioSmsConfig(config), options),
  WHATSAPP: (config, options) => new WhatsAppCloudProvider(parseWhatsAppCloudConfig(config), options),
};

/**
 * The provider for `channel`, configured by `config` (validated: a ProviderConfigError names every field that
 * does not hold).
 */
export function providerFor(
  channel: Channel,
  config: unknown,
  options: ProviderOptions = {},
): ChannelProvider {
  const factory = FACTORIES[channel];
  if (!factory) {
    throw new ProviderConfigError('providerFor', [
      { field: 'channel', rule: `must be one of ${Object.keys(FACTORIES).join(', ')}` },
    ]);
  }
  return factory(config, options);
}

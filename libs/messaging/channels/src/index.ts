export * from './lib/channel-provider';
export * from './lib/email';
export { ProviderConfigError, WebhookPayloadError, type ConfigProblem } from './lib/provider-errors';
export { type ProviderLogger } from './lib/provider-http';
export { providerFor, type ProviderOptions } from './lib/provider-for';
export * from './lib/sms';
export * from './lib/whatsapp';

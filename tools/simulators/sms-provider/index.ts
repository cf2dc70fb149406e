/**
 * TEST DOUBLE — the simulated Twilio-compatible SMS provider (a stand-in for Twilio's Programmable Messaging API).
 * Not production code: import it from tests, the demo and harnesses only.
 */
export { FAULT_MODES, parseFaultShorthand, type FaultMode, type FaultRule } from './faults';
export type { SmsJournalEntry } from './journal';
export { twilioSignature } from './signature';
export {
  startSmsProvider,
  type PostedWebhook,
  type SmsProvider,
  type SmsProviderAccount,
  type SmsProviderOptions,
} from './sms-provider.server';
export { SEND_OUTCOMES, type SendOutcome, type SmsProviderStats } from './stats';

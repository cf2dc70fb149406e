/**
 * TEST DOUBLE — the simulated WhatsApp Cloud API (a stand-in for Meta's WhatsApp Business Cloud API). Not
 * production code: import it from tests, the demo and harnesses only.
 */
export { FAULT_MODES, parseFaultShorthand, type FaultMode, type FaultRule } from './faults';
export type { WhatsAppJournalEntry } from './journal';
export { hubSignature } from './signature';
export { SEND_OUTCOMES, type SendOutcome, type WhatsAppProviderStats } from './stats';
export {
  startWhatsAppProvider,
  type PostedWebhook,
  type WhatsAppProvider,
  type WhatsAppProviderOptions,
} from './whatsapp-provider.server';

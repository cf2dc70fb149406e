/**
 * TEST DOUBLE — a local SMTP server with a read API and fault injection, standing in for a mail provider's SMTP relay.
 * Not production code: import it from tests, the devstack, the demo and the e2e harness only.
 */
export { FAULT_MODES, parseFaultShorthand, type FaultMode, type FaultRule } from './faults';
export { MessageStore, type StoredMessage, type StoredMessageSummary } from './store';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  startSmtpSink,
  type SmtpSink,
  type SmtpSinkOptions,
  type SmtpSinkStats,
} from './smtp-sink.server';

/**
 * TEST DOUBLE — the simulated SOAP core banking system (a stand-in for a bank's legacy system of record). Not
 * production code: import it from tests, the demo and the e2e harness only.
 */
export { FAULT_MODES, parseFaultShorthand, type FaultMode, type FaultRule } from './faults';
export type { JournalEntry, SoapVersion } from './journal';
export {
  DEFAULT_CLOSED_ACCOUNTS,
  LIST_DEFAULT_MAX_RESULTS,
  LIST_MAX_RESULTS,
  SOAP11_PATH,
  SOAP12_PATH,
  startSoapCore,
  type SoapCore,
  type SoapCoreOptions,
} from './soap-core.server';
export { CALL_OUTCOMES, type CallOutcome, type RetryAfterViolation, type SoapCoreStats } from './stats';
export {
  CORE_BANKING_NAMESPACE,
  CORE_BANKING_SERVICE,
  CORE_BANKING_WSDL_VERSION,
  SOAP11_PORT,
  SOAP12_PORT,
  REPORT_OPERATIONS,
  VENDOR_CODES,
  WRITE_OPERATIONS,
  type ReportOperation,
  type VendorCode,
  type WriteOperation,
} from './wire-schemas';

/**
 * TEST DOUBLE — the simulated SFTP batch core (a stand-in for a bank's batch system of record). Not production
 * code: import it from tests, the demo and the e2e harness only.
 */
export { FAULT_MODES, parseFaultShorthand, seededRandom, type FaultMode, type FaultRule } from './faults';
export {
  BATCH_STATUSES,
  buildPaymentsBatch,
  buildPostingReport,
  checkBatch,
  FOLDERS,
  LAYOUT_PAYMENTS_V1,
  LAYOUT_VERSIONS,
  manifestSchema,
  PAYMENTS_V1_COLUMNS,
  POSTING_REPORT_COLUMNS,
  postingReportName,
  RECORD_OUTCOMES,
  type BatchStatus,
  type Manifest,
  type PaymentRecord,
  type Receipt,
  type ReceiptRecord,
  type RecordOutcome,
  type ReportedPosting,
} from './file-protocol';
export type { JournalEntry } from './journal';
export {
  readReceipt,
  startSftpCore,
  type DeliveredReceipt,
  type SftpCore,
  type SftpCoreOptions,
} from './sftp-core.processor';
export type { InboundFigures, SftpCoreStats } from './stats';

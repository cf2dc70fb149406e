/**
 * TEST DOUBLE — the simulated REST core banking system (a stand-in for a bank's system of record). Not production
 * code: import it from tests, the demo and the e2e harness only.
 */
export { FAULT_MODES, parseFaultShorthand, type FaultMode, type FaultRule } from './faults';
export type { JournalEntry } from './journal';
export { startRestCore, type RestCore, type RestCoreOptions } from './rest-core.server';
export { WRITE_OUTCOMES, type RestCoreStats, type RetryAfterViolation, type WriteOutcome } from './stats';
export {
  API_VERSION_2024_06_01,
  API_VERSION_2025_01_15,
  DEFAULT_ACCEPTED_API_VERSIONS,
  RESOURCES,
  type Resource,
} from './wire-schemas';

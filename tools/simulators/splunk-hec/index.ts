/**
 * TEST DOUBLE — the simulated Splunk HTTP Event Collector (indexer acknowledgement, faults, an index of received
 * events). Not production code: import it from tests, the demo and harnesses only.
 */
export { FAULT_MODES, faultRuleSchema, parseFaultShorthand, type FaultMode, type FaultRule } from './faults';
export {
  parseConcatenatedJson,
  startSplunkHec,
  type IndexedEvent,
  type SplunkHec,
  type SplunkHecOptions,
  type SplunkHecStats,
} from './splunk-hec.server';

/**
 * TEST DOUBLE — part of the simulated SOAP core banking system (tools/simulators/soap-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * What a checker asks of the core after a run: how calls ended, whether anything posted twice, and whether the
 * client behaved (no re-send of a request the core rejected as invalid, no retry before the RetryAfterSeconds it
 * was given).
 */
import { ClientBehaviourStats, type ClientBehaviourSnapshot } from '@closeout/simulators/shared';
import { FAULT_MODES, type FaultMode } from './faults';

export const CALL_OUTCOMES = [
  /** A write committed a new posting and was answered. */
  'posted',
  /** A write answered with the original posting of its IdempotencyKey; nothing new was posted. */
  'replayed',
  /** A write committed, but its answer was a CB-9001, late, or never came (post-commit faults). */
  'posted_unanswered',
  'invalid_request',
  'account_closed',
  'idempotency_conflict',
  'throttled',
  'host_unavailable',
  'query_found',
  'query_not_found',
  /** A ListTransactions report was answered (a read: nothing posted). */
  'list_answered',
  /** A write refused with Status REJECTED inside a WriteResult: nothing posted. */
  'rejected_in_result',
] as const;

export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export type { RetryAfterViolation } from '@closeout/simulators/shared';

export interface SoapCoreStats extends ClientBehaviourSnapshot<FaultMode> {
  calls: number;
  callsByOutcome: Record<CallOutcome, number>;
}

export class StatsRecorder extends ClientBehaviourStats<CallOutcome, FaultMode> {
  private calls = 0;

  constructor() {
    super(CALL_OUTCOMES, FAULT_MODES);
  }

  /** Called when any call arrives. */
  called(): void {
    this.calls += 1;
  }

  override snapshot(): SoapCoreStats {
    return { calls: this.calls, callsByOutcome: this.outcomeCounts(), ...super.snapshot() };
  }
}

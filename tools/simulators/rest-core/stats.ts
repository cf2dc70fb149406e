/**
 * TEST DOUBLE — part of the simulated REST core banking system (tools/simulators/rest-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * What a checker asks of the core after a run: how requests ended, whether anything posted twice, and whether the
 * client behaved (no re-send of a payload the core called invalid, no retry before the Retry-After it was given).
 */
import { ClientBehaviourStats, type ClientBehaviourSnapshot } from '@closeout/simulators/shared';
import { FAULT_MODES, type FaultMode } from './faults';

export const WRITE_OUTCOMES = [
  'created',
  'replayed',
  'idempotency_key_reused',
  'invalid_json',
  'validation_failed',
  'unsupported_api_version',
  'unsupported_media_type',
  'invalid_idempotency_key',
  'rate_limited',
  'error_5xx',
  'connection_reset',
  'fail_all',
  'in_progress',
  'rejected_in_2xx',
  'huge_error',
  'gateway_page',
] as const;

export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];

export type { RetryAfterViolation } from '@closeout/simulators/shared';

export interface RestCoreStats extends ClientBehaviourSnapshot<FaultMode> {
  writes: number;
  writesByOutcome: Record<WriteOutcome, number>;
}

export class StatsRecorder extends ClientBehaviourStats<WriteOutcome, FaultMode> {
  private writes = 0;

  constructor() {
    super(WRITE_OUTCOMES, FAULT_MODES);
  }

  /** Called when a write arrives, before anything is decided about it. */
  arrived(idempotencyKey: string | null, now: number): void {
    this.writes += 1;
    this.writeArrived(idempotencyKey, now);
  }

  override snapshot(): RestCoreStats {
    return { writes: this.writes, writesByOutcome: this.outcomeCounts(), ...super.snapshot() };
  }
}

import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import type { WritebackStatus } from '@closeout/contracts';
import type { BreakerState } from '../breaker/destination-breaker';
import type { LedgerRepository } from '../ledger/ledger.repository';

type AttemptLabels = 'destination' | 'kind' | 'outcome' | 'error_class';

/**
 * What an operations team runs a writeback service on. Alerts belong on the aging of unknowns, the breaker state and
 * the share of FAILED_PERMANENT outcomes, not on raw error counts: errors the retry policy absorbs are normal.
 */
export class WritebackMetrics {
  /** Every send and every resolve lookup, by what it led to and why. */
  readonly attempts: Counter<AttemptLabels>;
  /**
   * Transitions the service announced (writeback.result), by workflow, status and error class: the writeback success
   * SLO (deploy/prometheus/rules/closeout-slo.rules.yml). `workflow` is the request's workflow id, one of the
   * orchestrator's definitions: a bounded set.
   */
  readonly outcomes: Counter<'destination' | 'workflow' | 'status' | 'error_class'>;
  /** Requests whose key the ledger already held with the same payload: nothing was sent again. */
  readonly duplicatesPrevented: Counter<'destination'>;
  /** Same key, different payload: refused and audited. */
  readonly conflicts: Counter<'destination'>;
  /** Requests refused before admission (contract or mapping problems). */
  readonly rejected: Counter<'destination' | 'reason'>;
  /** Requests for destinations this deployment does not serve (another deployment's). */
  readonly skipped: Counter<'destination'>;
  /**
   * writeback.requested records refused before decoding: unsigned, signed by an unknown key, or not matching their
   * signature (dead-lettered as `unauthenticated`). Labelled by refusal class only, never by a value of the record.
   */
  readonly unauthenticated: Counter<'refusal'>;
  /** Requests of this service's protocol for a destination no deployment serves (dead-lettered as `unserved`). */
  readonly unserved: Counter<string>;
  /** 0 closed, 1 half-open, 2 open. */
  readonly breakerState: Gauge<'destination'>;
  readonly breakerTransitions: Counter<'destination' | 'to'>;
  /** One call to the destination (send or lookup), as the adapter saw it. */
  readonly callDuration: Histogram<'destination' | 'kind' | 'outcome'>;
  /** From the request to its settled outcome (APPLIED or FAILED_PERMANENT), per workflow: the latency SLO. */
  readonly settleDuration: Histogram<'destination' | 'workflow' | 'status'>;
  /** Transitions lost to another worker (a lease that expired under a slow call). */
  readonly lostLeases: Counter<'destination'>;
  /** writeback.command.v1 by command and what was done (skipped_not_owned, duplicate, marked_for_resolution…). */
  readonly commands: Counter<'command' | 'outcome'>;

  constructor(registry: Registry = globalRegistry) {
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      (registry.getSingleMetric(name) as Counter<L> | undefined) ??
      new Counter({ name, help, labelNames, registers: [registry] });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> =>
      (registry.getSingleMetric(name) as Gauge<L> | undefined) ??
      new Gauge({ name, help, labelNames, registers: [registry] });
    const histogram = <L extends string>(
      name: string,
      help: string,
      labelNames: L[],
      buckets: number[],
    ): Histogram<L> =>
      (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
      new Histogram({ name, help, labelNames, buckets, registers: [registry] });

    this.attempts = counter(
      'closeout_writeback_attempts_total',
      'Sends and resolve lookups made to destinations',
      ['destination', 'kind', 'outcome', 'error_class'],
    );
    this.outcomes = counter(
      'closeout_writeback_outcomes_total',
      'Writeback results announced, by workflow, status and error class',
      ['destination', 'workflow', 'status', 'error_class'],
    );
    this.duplicatesPrevented = counter(
      'closeout_writeback_duplicates_prevented_total',
      'Requests for a key the ledger already held with the same payload (nothing sent again)',
      ['destination'],
    );
    this.conflicts = counter(
      'closeout_writeback_conflicts_total',
      'Requests reusing a key with a different payload (rejected_conflict)',
      ['destination'],
    );
    this.rejected = counter(
      'closeout_writeback_rejected_total',
      'Requests refused before admission to the ledger',
      ['destination', 'reason'],
    );
    this.skipped = counter(
      'closeout_writeback_skipped_total',
      'Requests for destinations this deployment does not serve',
      ['destination'],
    );
    this.unauthenticated = counter(
      'closeout_writeback_requests_unauthenticated_total',
      'writeback.requested records refused before decoding: unsigned, unknown key or bad signature; never acted on',
      ['refusal'],
    );
    this.unserved = counter(
      'closeout_writeback_requests_unserved_total',
      "Requests of this service's protocol for a destination no writeback deployment serves: dead-lettered and audited",
      [],
    );
    this.breakerState = gauge(
      'closeout_writeback_breaker_state',
      'Circuit breaker per destination: 0 closed, 1 half-open, 2 open',
      ['destination'],
    );
    this.breakerTransitions = counter(
      'closeout_writeback_breaker_transitions_total',
      'Circuit breaker state changes',
      ['destination', 'to'],
    );
    this.callDuration = histogram(
      'closeout_writeback_call_duration_seconds',
      'Duration of one call to a destination (send or lookup)',
      ['destination', 'kind', 'outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.settleDuration = histogram(
      'closeout_writeback_settle_duration_seconds',
      'From the writeback request to its settled outcome, by workflow',
      ['destination', 'workflow', 'status'],
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 7200, 86400],
    );
    this.lostLeases = counter(
      'closeout_writeback_lost_leases_total',
      'Results a worker could not record because another worker had taken the row',
      ['destination'],
    );
    this.commands = counter(
      'closeout_writeback_commands_total',
      "Reconciler commands (writeback.command.v1) by command and outcome; skipped_not_owned = another service's row",
      ['command', 'outcome'],
    );
  }

  setBreakerState(destination: string, state: BreakerState): void {
    this.breakerState.labels({ destination }).set(state === 'closed' ? 0 : state === 'half_open' ? 1 : 2);
    this.breakerTransitions.labels({ destination, to: state }).inc();
  }
}

/**
 * Ledger gauges read at scrape time: the backlog per status and the age of the oldest unknown outcome. One per
 * ledger schema; collect() runs two cheap queries per scrape instead of a timer in the service.
 */
export function registerLedgerGauges(ledger: LedgerRepository, registry: Registry = globalRegistry): void {
  const schema = ledger.schema;
  const rowsName = 'closeout_writeback_ledger_rows';
  const ageName = 'closeout_writeback_oldest_unknown_age_seconds';
  if (registry.getSingleMetric(rowsName)) registry.removeSingleMetric(rowsName);
  if (registry.getSingleMetric(ageName)) registry.removeSingleMetric(ageName);
  new Gauge({
    name: rowsName,
    help: 'Open ledger rows per status (the backlog; settled outcomes are counted by closeout_writeback_settle_duration_seconds)',
    labelNames: ['schema', 'status'],
    registers: [registry],
    async collect() {
      const counts: Partial<Record<WritebackStatus, number>> = await ledger.countOpenByStatus();
      for (const [status, n] of Object.entries(counts)) this.labels({ schema, status }).set(n);
    },
  });
  new Gauge({
    name: ageName,
    help: 'Age of the oldest writeback whose outcome is unknown (0 when none)',
    labelNames: ['schema'],
    registers: [registry],
    async collect() {
      this.labels({ schema }).set(await ledger.oldestUnknownAgeSeconds());
    },
  });
}

import type { WritebackErrorClass, WritebackStatus } from '@closeout/contracts';
import {
  AmbiguousOutcomeError,
  assertTransition,
  decideAfterError,
  decideAfterLookup,
  expectedFromStates,
  isWritebackError,
  parseWritebackRequest,
  type MappingRegistry,
  type RandomSource,
  type RetryPolicyConfig,
  type UnknownLookupResult,
  type WritebackError,
} from '@closeout/writeback-domain';
import type { DestinationBreaker } from '../breaker/destination-breaker';
import type { WritebackDestination } from '../destination/writeback-destination';
import { LostLeaseError } from '../ledger/ledger.errors';
import type { LedgerRepository } from '../ledger/ledger.repository';
import { TransitionBatcher } from '../ledger/transition-batcher';
import type {
  AttemptRecord,
  ClaimedRow,
  ProviderRefAsk,
  ProviderRefHolder,
  TransitionCommand,
} from '../ledger/ledger.types';
import { StatementBatcher } from '@closeout/platform';
import type { OutboxMessage } from '@closeout/outbox';
import { keptTraceHeaders, withClientSpan, withSpan } from '@closeout/telemetry';
import { boundedText } from '../destination/destination-semantics';
import { auditMessage, resultMessage } from './writeback-messages';
import type { WritebackMetrics } from './writeback-metrics';

/** One destination as the worker drives it. */
export interface WorkerDestination {
  destination: WritebackDestination;
  breaker: DestinationBreaker;
  policy: RetryPolicyConfig;
  /** The destination whose mappings apply (default: this one's own name). */
  mappingsOf?: string;
}

export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WritebackWorkerOptions {
  /** The service name, for audit events. */
  service: string;
  /** This worker's lease owner id: unique per process (host + pid + random). */
  workerId: string;
  ledger: LedgerRepository;
  destinations: ReadonlyMap<string, WorkerDestination>;
  mappings: MappingRegistry;
  metrics: WritebackMetrics;
  /** Rows in flight at once (default 32). */
  concurrency?: number;
  /** Rows per claim (default 64). */
  batchSize?: number;
  /**
   * Lease per claimed row (default 30 000 ms). Must exceed the destination's request timeout by a wide margin: a row
   * whose lease runs out mid-call is taken by another worker as RESOLVE.
   */
  leaseMs?: number;
  /** How long an idle worker waits before looking for due rows again (default 250 ms); `wake()` cuts it short. */
  idlePollMs?: number;
  /** How long `stop()` waits for calls in flight (default 10 000 ms); unfinished rows come back via their lease. */
  drainTimeoutMs?: number;
  logger?: WorkerLogger;
  now?: () => number;
  random?: RandomSource;
}

const silent: WorkerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A call to the system of record, in a CLIENT span under the row's: `REST send payment.record`, `SOAP lookup …`. The
 * HTTP requests the destination makes for it carry this span's `traceparent` and record their `http.*` on it.
 */
function coreCall<T>(row: ClaimedRow, kind: 'send' | 'lookup', call: () => Promise<T>): Promise<T> {
  return withClientSpan(`${row.protocol} ${kind} ${row.operation}`, call, {
    attributes: {
      'closeout.destination': row.destination,
      'closeout.idempotency_key': row.idempotencyKey,
      'closeout.core_call': kind,
    },
  });
}

/**
 * The ledger protocol's steps 2–6 for the destinations of one service: claim due rows with a lease, resolve unknown
 * outcomes by asking the destination, send the rest through the destination's circuit breaker, classify, let the
 * retry policy decide, and record the transition, its attempt, the `writeback.result` and the audit event in one
 * statement. Protocol-neutral: REST, SOAP and SFTP services differ only in their `WritebackDestination`.
 */
export class WritebackWorker {
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly idlePollMs: number;
  private readonly drainTimeoutMs: number;
  private readonly log: WorkerLogger;
  private readonly now: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private readonly shutdown = new AbortController();
  private readonly transitions: TransitionBatcher;
  /** The check of each answer's reference against the ledger: the asks of concurrent calls share one statement. */
  private readonly providerRefHolders: StatementBatcher<ProviderRefAsk, ProviderRefHolder | null>;

  constructor(private readonly options: WritebackWorkerOptions) {
    this.concurrency = options.concurrency ?? 32;
    this.batchSize = options.batchSize ?? 64;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.idlePollMs = options.idlePollMs ?? 250;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.log = options.logger ?? silent;
    this.now = options.now ?? Date.now;
    this.transitions = new TransitionBatcher(options.ledger);
    this.providerRefHolders = new StatementBatcher((asks) => options.ledger.holdersOfProviderRefs(asks));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Look for due rows now (a request was just admitted, a breaker closed). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits (bounded) for the rows in flight to be recorded. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loop;
    const drained = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), this.drainTimeoutMs).unref()),
    ]);
    if (!drained) {
      // Calls still waiting on a destination are abandoned; their leases expire and they come back as RESOLVE.
      this.shutdown.abort();
      this.log.warn({ inFlight: this.inFlight.size }, 'writeback worker stopped with calls in flight');
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.concurrency - this.inFlight.size;
      // Claim in batches: under load, wait until a quarter of the slots are free rather than claiming one row per
      // finished call (a claim is a statement; one per writeback would double the database's work).
      if (free <= 0 || (free < Math.min(this.batchSize, this.concurrency) / 4 && this.inFlight.size > 0)) {
        await Promise.race(this.inFlight);
        continue;
      }
      const open = [...this.options.destinations.entries()]
        .filter(([, d]) => d.breaker.state === 'closed')
        .map(([name]) => name);
      let claimed: ClaimedRow[] = [];
      if (open.length > 0) {
        try {
          claimed = await this.options.ledger.claimDue(
            this.options.workerId,
            Math.min(free, this.batchSize),
            this.leaseMs,
            open,
          );
        } catch (error) {
          this.log.error({ err: error }, 'claiming due writebacks failed; retrying after the poll interval');
        }
      }
      for (const row of claimed) this.track(this.process(row));
      if (claimed.length === 0 || claimed.length < Math.min(free, this.batchSize)) await this.idle();
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.idlePollMs);
      // A finished call frees a slot, but only new due rows or a wake are worth a claim.
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.woken = false;
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /**
   * One claimed row's work, in a span that continues the trace of the message that admitted it (kept on the row), so
   * the claim's work, the core call and the result and audit messages the transition writes belong to the case's
   * trace however long after, and in whichever process, the row is worked.
   */
  private async process(row: ClaimedRow): Promise<void> {
    const carried = keptTraceHeaders(row);
    await withSpan(`writeback ${row.claim.action.toLowerCase()}`, 'internal', carried, () => this.work(row), {
      attributes: {
        'closeout.case_id': row.caseId,
        'closeout.workflow_id': row.workflowId,
        'closeout.idempotency_key': row.idempotencyKey,
        'closeout.destination': row.destination,
        'closeout.attempt': row.attempts + 1,
      },
    });
  }

  private async work(row: ClaimedRow): Promise<void> {
    const target = this.options.destinations.get(row.destination);
    try {
      if (!target) {
        // Claims are filtered by destination, so only a config change between claim and here lands here.
        await this.options.ledger.releaseLease(row.id, this.options.workerId);
        return;
      }
      if (row.claim.action === 'RESOLVE') await this.resolve(row, target);
      else await this.send(row, target);
    } catch (error) {
      if (error instanceof LostLeaseError) {
        this.options.metrics.lostLeases.labels({ destination: row.destination }).inc();
        this.log.warn(
          { ledgerId: row.id, err: error },
          'another worker took this row; its result is theirs to record',
        );
        return;
      }
      // The outcome could not be recorded (database unreachable). The lease runs out and the row comes back as
      // RESOLVE: the destination is asked what it holds, so nothing is sent twice.
      this.log.error(
        { ledgerId: row.id, err: error },
        'recording a writeback outcome failed; the lease will expire',
      );
    }
  }

  // --- SEND -------------------------------------------------------------------------------------------------------

  private async send(row: ClaimedRow, target: WorkerDestination): Promise<void> {
    const startedAt = new Date(this.now());
    let receipt;
    try {
      const parsed = parseWritebackRequest(row.request);
      const mapping = this.options.mappings.get(
        target.mappingsOf ?? row.destination,
        parsed.operation,
        row.mappingVersion,
      );
      const wire = this.options.mappings.toWire(mapping, parsed.payload);
      receipt = await target.breaker.execute(() =>
        coreCall(row, 'send', () =>
          target.destination.send({
            idempotencyKey: row.idempotencyKey,
            correlationId: row.correlationId,
            wire,
            signal: this.shutdown.signal,
          }),
        ),
      );
    } catch (caught) {
      const error = asWritebackError(caught);
      const finishedAt = new Date(this.now());
      this.observeCall(row, 'send', error.errorClass, startedAt, finishedAt);
      await this.afterSendFailure(row, target, error, startedAt, finishedAt);
      return;
    }
    const finishedAt = new Date(this.now());
    const holder = await this.providerRefHolders.submit({
      destination: row.destination,
      providerRef: receipt.providerRef,
      exceptId: row.id,
    });
    if (holder !== null) {
      // A reference names one posting: this answer names one another writeback holds, so it is not (only) ours.
      const contradicted = new AmbiguousOutcomeError(
        `${row.destination} answered with reference ${receipt.providerRef}, which writeback ${holder.idempotencyKey} already holds: the answer is not ours`,
        { ...(receipt.providerCode === undefined ? {} : { providerCode: receipt.providerCode }) },
      );
      this.observeCall(row, 'send', contradicted.errorClass, startedAt, finishedAt);
      await this.afterSendFailure(row, target, contradicted, startedAt, finishedAt);
      return;
    }
    if (target.policy.confirmAnswersByLookup) {
      const unconfirmed = await this.confirmByLookup(row, target, receipt.providerRef);
      if (unconfirmed !== null) {
        this.observeCall(row, 'send', unconfirmed.errorClass, startedAt, finishedAt);
        await this.afterSendFailure(row, target, unconfirmed, startedAt, finishedAt);
        return;
      }
    }
    this.observeCall(row, 'send', 'ok', startedAt, finishedAt);
    await this.record(row, {
      from: ['IN_FLIGHT'],
      to: 'APPLIED',
      providerRef: receipt.providerRef,
      attempt: {
        kind: 'send',
        startedAt,
        finishedAt,
        providerCode: receipt.providerCode ?? null,
        providerRef: receipt.providerRef,
      },
      announce: { attempts: row.attempts + 1 },
      audit: {
        action: 'writeback.applied',
        outcome: 'SUCCESS',
        reason: receipt.replayed
          ? `${row.destination} answered from its idempotency store: already applied, nothing posted again`
          : `${row.destination} applied the request`,
        references: { providerRef: receipt.providerRef },
      },
    });
  }

  /**
   * Asks the destination, by our key alone, which posting it holds; null when it names the answer's own reference.
   * Otherwise the answer is not believed: an ambiguous outcome, which the lookup later settles with the core's word.
   */
  private async confirmByLookup(
    row: ClaimedRow,
    target: WorkerDestination,
    answered: string,
  ): Promise<AmbiguousOutcomeError | null> {
    let check: UnknownLookupResult;
    try {
      check = await target.breaker.execute(() =>
        coreCall(row, 'lookup', () =>
          target.destination.lookup({
            idempotencyKey: row.idempotencyKey,
            providerRef: null,
            correlationId: row.correlationId,
            operation: row.operation,
            signal: this.shutdown.signal,
          }),
        ),
      );
    } catch (error) {
      check = { kind: 'inconclusive', reason: error instanceof Error ? error.message : String(error) };
    }
    if (check.kind === 'found' && check.providerRef === answered) return null;
    return new AmbiguousOutcomeError(
      check.kind === 'found'
        ? `${row.destination} answered with reference ${answered}, but its record for this key is ${check.providerRef}: the answer is not ours`
        : `${row.destination} answered with reference ${answered}, not yet confirmed by its lookup (${check.kind === 'inconclusive' ? check.reason : 'no record yet'})`,
    );
  }

  private async afterSendFailure(
    row: ClaimedRow,
    target: WorkerDestination,
    error: WritebackError,
    startedAt: Date,
    finishedAt: Date,
  ): Promise<void> {
    const attemptNo = row.attempts + 1;
    const decision = decideAfterError(error, attemptNo, this.now(), target.policy, this.options.random);
    const attempt: AttemptRecord = {
      kind: 'send',
      startedAt,
      finishedAt,
      errorClass: error.errorClass,
      errorMessage: error.message,
      providerCode: error.providerCode ?? null,
    };
    const failure = { errorClass: error.errorClass, errorMessage: error.message };
    switch (decision.kind) {
      case 'wait_for_breaker':
        // Nothing was sent: no attempt row, the attempt count stays, and the case hears the destination is degraded.
        await this.record(row, {
          from: ['IN_FLIGHT'],
          to: 'FAILED_RETRYABLE',
          ...failure,
          nextAttemptAt: new Date(decision.nextAttemptAt),
          announce: { attempts: row.attempts, destinationDegraded: true },
          audit: { action: 'writeback.deferred', outcome: 'PENDING', reason: decision.reason },
        });
        return;
      case 'retry':
        await this.record(row, {
          from: ['IN_FLIGHT'],
          to: 'FAILED_RETRYABLE',
          ...failure,
          attempt,
          nextAttemptAt: new Date(decision.nextAttemptAt),
          audit: {
            action: 'writeback.attempt_failed',
            outcome: 'FAILURE',
            reason: `${decision.reason}; next attempt in ${decision.delayMs} ms (${error.message})`,
          },
        });
        return;
      case 'resolve_unknown':
        await this.record(row, {
          from: ['IN_FLIGHT'],
          to: 'UNKNOWN',
          ...failure,
          attempt,
          nextAttemptAt: new Date(decision.resolveAt),
          announce: { attempts: attemptNo },
          audit: {
            action: 'writeback.unknown',
            outcome: 'PENDING',
            reason: `${decision.reason} (${error.message})`,
          },
        });
        return;
      case 'fail_permanently':
        await this.record(row, {
          from: ['IN_FLIGHT'],
          to: 'FAILED_PERMANENT',
          ...failure,
          attempt: error.sent ? attempt : { ...attempt, errorMessage: `not sent: ${error.message}` },
          announce: { attempts: error.sent ? attemptNo : row.attempts },
          audit: {
            action: 'writeback.failed',
            outcome: 'FAILURE',
            reason: `${decision.reason} (${error.message})`,
            references: { correctionRoute: decision.cause },
          },
        });
        return;
    }
  }

  // --- RESOLVE ----------------------------------------------------------------------------------------------------

  private async resolve(row: ClaimedRow, target: WorkerDestination): Promise<void> {
    const startedAt = new Date(this.now());
    let lookup: UnknownLookupResult;
    try {
      lookup = await target.breaker.execute(() =>
        coreCall(row, 'lookup', () =>
          target.destination.lookup({
            idempotencyKey: row.idempotencyKey,
            providerRef: row.providerRef,
            correlationId: row.correlationId,
            operation: row.operation,
            signal: this.shutdown.signal,
          }),
        ),
      );
    } catch (error) {
      lookup = { kind: 'inconclusive', reason: error instanceof Error ? error.message : String(error) };
    }
    const finishedAt = new Date(this.now());
    if (lookup.kind === 'found') {
      const holder = await this.providerRefHolders.submit({
        destination: row.destination,
        providerRef: lookup.providerRef,
        exceptId: row.id,
      });
      if (holder !== null) {
        lookup = {
          kind: 'inconclusive',
          reason: `the destination names posting ${lookup.providerRef} for this key, but writeback ${holder.idempotencyKey} already holds that reference: one of the two answers was not its own`,
        };
      }
    }
    this.observeCall(row, 'resolve', lookup.kind, startedAt, finishedAt);

    const attempts = await this.options.ledger.listAttempts(row.id);
    const lastSend = attempts.filter((a) => a.kind === 'send').at(-1);
    const decision = decideAfterLookup(
      {
        lookup,
        attempts: row.attempts,
        lookupNumber: attempts.filter((a) => a.kind === 'resolve').length + 1,
        lastSendStartedAt: lastSend === undefined ? null : lastSend.startedAt.getTime(),
        now: this.now(),
      },
      target.policy,
      this.options.random,
    );
    const attempt: AttemptRecord = {
      kind: 'resolve',
      startedAt,
      finishedAt,
      providerRef: lookup.kind === 'found' ? lookup.providerRef : null,
      errorMessage: lookup.kind === 'inconclusive' ? lookup.reason : null,
      providerCode: lookup.kind,
    };
    switch (decision.kind) {
      case 'applied':
        await this.record(row, {
          from: ['UNKNOWN'],
          to: 'APPLIED',
          providerRef: decision.providerRef,
          attempt,
          announce: { attempts: row.attempts },
          audit: {
            action: 'writeback.resolved',
            outcome: 'SUCCESS',
            reason: `unknown outcome resolved by lookup: ${decision.reason}`,
            references: { providerRef: decision.providerRef },
          },
        });
        return;
      case 'retry':
        assertTransition('UNKNOWN', 'FAILED_RETRYABLE', decision.evidence);
        await this.record(row, {
          from: ['UNKNOWN'],
          to: 'FAILED_RETRYABLE',
          errorClass: row.lastErrorClass,
          errorMessage: row.lastErrorMessage,
          attempt,
          nextAttemptAt: new Date(decision.nextAttemptAt),
          audit: { action: 'writeback.resolved', outcome: 'PENDING', reason: decision.reason },
        });
        return;
      case 'resolve_unknown':
        await this.record(row, {
          from: ['UNKNOWN'],
          to: 'UNKNOWN',
          errorClass: row.lastErrorClass,
          errorMessage: row.lastErrorMessage,
          attempt,
          nextAttemptAt: new Date(decision.resolveAt),
        });
        return;
      case 'fail_permanently':
        await this.record(row, {
          from: ['UNKNOWN'],
          to: 'FAILED_PERMANENT',
          errorClass: row.lastErrorClass,
          errorMessage: decision.reason,
          attempt,
          announce: { attempts: row.attempts },
          audit: {
            action: 'writeback.failed',
            outcome: 'FAILURE',
            reason: decision.reason,
            references: { correctionRoute: decision.cause },
          },
        });
        return;
    }
  }

  // --- recording --------------------------------------------------------------------------------------------------

  /**
   * One guarded transition with its attempt row and, when the change is worth telling, the `writeback.result` and
   * the audit event — all in one statement, shared with other workers' transitions when they coincide (see
   * `TransitionBatcher`).
   */
  private async record(row: ClaimedRow, change: Change): Promise<void> {
    const now = this.now();
    change = boundTexts(change);
    const providerRef = change.providerRef ?? row.providerRef;
    const outbox: OutboxMessage[] = [];
    if (change.announce) {
      outbox.push(
        resultMessage(row.request, {
          status: change.to,
          providerRef,
          errorClass: change.errorClass ?? null,
          errorMessage: change.errorMessage ?? null,
          attempts: change.announce.attempts,
          destinationDegraded: change.announce.destinationDegraded ?? false,
          now,
        }),
      );
    }
    if (change.audit) {
      outbox.push(
        auditMessage(this.options.service, row.request, {
          ...change.audit,
          references: {
            ...change.audit.references,
            providerRef,
            ledgerId: row.id,
            workerId: this.options.workerId,
          },
          now,
        }),
      );
    }
    const command: TransitionCommand = {
      from: change.from.filter((s) => expectedFromStates(change.to).includes(s)),
      to: change.to,
      owner: this.options.workerId,
      providerRef: change.providerRef ?? null,
      errorClass: change.errorClass ?? null,
      errorMessage: change.errorMessage ?? null,
      outbox,
      ...(change.attempt ? { attempt: change.attempt } : {}),
      ...(change.nextAttemptAt ? { nextAttemptAt: change.nextAttemptAt } : {}),
    };
    await this.transitions.submit(row.id, command);

    const { metrics } = this.options;
    if (change.attempt) {
      metrics.attempts
        .labels({
          destination: row.destination,
          kind: change.attempt.kind,
          outcome: change.to,
          error_class: change.attempt.errorClass ?? 'none',
        })
        .inc();
    }
    if (change.announce) {
      metrics.outcomes
        .labels({
          destination: row.destination,
          workflow: row.request.workflowId,
          status: change.to,
          error_class: change.errorClass ?? 'none',
        })
        .inc();
    }
    if (change.to === 'APPLIED' || change.to === 'FAILED_PERMANENT') {
      metrics.settleDuration
        .labels({ destination: row.destination, workflow: row.request.workflowId, status: change.to })
        .observe(Math.max(0, now - row.request.requestedAt) / 1000);
    }
  }

  private observeCall(
    row: ClaimedRow,
    kind: 'send' | 'resolve',
    outcome: string,
    startedAt: Date,
    finishedAt: Date,
  ): void {
    this.options.metrics.callDuration
      .labels({ destination: row.destination, kind, outcome })
      .observe((finishedAt.getTime() - startedAt.getTime()) / 1000);
  }
}

/** One recorded change of a row: the transition, its attempt, and what is announced about it. */
interface Change {
  from: readonly WritebackStatus[];
  to: WritebackStatus;
  providerRef?: string | null;
  errorClass?: WritebackErrorClass | null;
  errorMessage?: string | null;
  attempt?: AttemptRecord;
  nextAttemptAt?: Date;
  /** Publish a writeback.result for this change. */
  announce?: { attempts: number; destinationDegraded?: boolean };
  audit?: {
    action: string;
    outcome: 'SUCCESS' | 'FAILURE' | 'PENDING';
    reason: string;
    references?: Record<string, string>;
  };
}

/** Bounds on what a destination's words may occupy in the ledger, the attempt rows, the outbox and Kafka. */
const MAX_ERROR_MESSAGE_CHARS = 1_000;
const MAX_PROVIDER_CODE_CHARS = 120;

/**
 * Whatever a destination said is cut to size here, the one place every transition passes, whichever adapter or
 * lookup it came from: a hostile answer must never make a row, an outbox message or a Kafka record too big to move.
 */
function boundTexts(change: Change): Change {
  const cut = (text: string | null | undefined, max: number) =>
    text === null || text === undefined ? text : boundedText(text, max);
  return {
    ...change,
    ...(change.errorMessage === undefined
      ? {}
      : { errorMessage: cut(change.errorMessage, MAX_ERROR_MESSAGE_CHARS) }),
    ...(change.attempt === undefined
      ? {}
      : {
          attempt: {
            ...change.attempt,
            ...(change.attempt.errorMessage === undefined
              ? {}
              : { errorMessage: cut(change.attempt.errorMessage, MAX_ERROR_MESSAGE_CHARS) }),
            ...(change.attempt.providerCode === undefined
              ? {}
              : { providerCode: cut(change.attempt.providerCode, MAX_PROVIDER_CODE_CHARS) }),
          },
        }),
    ...(change.audit === undefined
      ? {}
      : { audit: { ...change.audit, reason: boundedText(change.audit.reason, MAX_ERROR_MESSAGE_CHARS) } }),
  };
}

/**
 * Anything an adapter throws that it did not classify may have happened after the request left: treat it as an
 * ambiguous outcome, which is resolved by asking the destination, never by sending again blind.
 */
function asWritebackError(error: unknown): WritebackError {
  if (isWritebackError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AmbiguousOutcomeError(`unclassified failure: ${message}`, { cause: error });
}

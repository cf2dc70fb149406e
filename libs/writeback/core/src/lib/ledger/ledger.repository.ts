import type { WritebackRequested, WritebackStatus } from '@closeout/contracts';
import { type DataSource, EntityManager } from 'typeorm';
import { WRITEBACK_STATUSES } from '@closeout/writeback-domain';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { insertOutboxMessages, outboxRowOf, type OutboxMessage } from '@closeout/outbox';
import {
  extractTraceContext,
  keptTraceHeaders,
  messageTraceContext,
  recordDbSpan,
  traceContextOf,
  type StatementTiming,
} from '@closeout/telemetry';
import { writebackTables, type WritebackTables } from '../persistence/schema-name';
import { LedgerError, LedgerRowNotFoundError, LostLeaseError } from './ledger.errors';
import { toAttemptRow, toConflictRow, toLedgerRow } from './ledger-row.mapper';
import {
  type CommandOutcomeKind,
  type RecordedCommand,
  type AdmitOptions,
  type AdmitOutcome,
  type ClaimedRow,
  type LedgerAttemptRow,
  type LedgerConflictRow,
  type LedgerRow,
  type ProviderRefAsk,
  type ProviderRefHolder,
  type TransitionCommand,
  type TransitionResult,
} from './ledger.types';

type Raw = Record<string, unknown>;

/**
 * Statuses a worker may pick up, and the predicate of the partial index `ledger_due_idx`. Spelled identically in
 * every query so the planner can use that index.
 */
/** Statuses whose rows still have work: the claimable ones, and IN_FLIGHT (a lease that may run out). */
const OPEN_STATUSES = [
  'PENDING',
  'FAILED_RETRYABLE',
  'UNKNOWN',
  'IN_FLIGHT',
] as const satisfies readonly WritebackStatus[];
const WORKABLE = `status IN (${OPEN_STATUSES.map((st) => `'${st}'`).join(', ')})`;

/**
 * The guarded transition, for one row or many: `$1` is a JSON array of `transitionInput` rows, `$2` their ids
 * (distinct; the planner cannot see into `$1`, and with `$2` it reads the rows by primary key). Each row's
 * UPDATE, attempt row and outbox messages are data-modifying CTEs of this one statement — atomic on its own, one
 * round trip and one commit whatever the number of rows.
 *
 * The guard is the UPDATE's WHERE clause — `status = ANY(from) AND lease_owner IS NOT DISTINCT FROM owner` —
 * evaluated under the row lock the UPDATE takes: of two workers racing on the same row, the second re-reads the
 * first's committed row, no longer matches, and updates nothing. The inserts select FROM the UPDATE's result, so a
 * row whose guard matched nothing writes nothing else either.
 *
 * Attempts are numbered without a sequence: every writer of attempts first updates the ledger row, so the row lock
 * serialises them; the unique (ledger_id, attempt_no) backs that up. Outbox ids are drawn in input order, then
 * message order: the order the relay publishes in.
 */
const TRANSITION = (t: WritebackTables): string => `
  WITH input AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (
      id bigint, from_statuses text, owner text, to_status text, sends int, provider_ref text, error_class text,
      error_message text, next_attempt_at timestamptz, attempt_kind text, started_at timestamptz,
      finished_at timestamptz, a_error_class text, a_error_message text, provider_code text, a_provider_ref text,
      latency_ms int, outbox jsonb)) WITH ORDINALITY AS i(id, from_statuses, owner, to_status, sends, provider_ref,
      error_class, error_message, next_attempt_at, attempt_kind, started_at, finished_at, a_error_class,
      a_error_message, provider_code, a_provider_ref, latency_ms, outbox, ord)
  ),
  upd AS (
    UPDATE ${t.ledger} AS l
    SET status             = i.to_status,
        attempts           = l.attempts + i.sends,
        provider_ref       = coalesce(i.provider_ref, l.provider_ref),
        last_error_class   = i.error_class,
        last_error_message = i.error_message,
        lease_owner        = CASE WHEN i.to_status = 'IN_FLIGHT' THEN l.lease_owner END,
        lease_expires_at   = CASE WHEN i.to_status = 'IN_FLIGHT' THEN l.lease_expires_at END,
        next_attempt_at    = CASE WHEN i.to_status = 'IN_FLIGHT' THEN l.lease_expires_at
                                  WHEN i.to_status IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN')
                                    THEN coalesce(i.next_attempt_at, now()) END,
        unknown_since      = CASE WHEN i.to_status = 'UNKNOWN' THEN coalesce(l.unknown_since, now())
                                  WHEN i.to_status = 'IN_FLIGHT' THEN l.unknown_since END,
        applied_at         = CASE WHEN i.to_status = 'APPLIED' THEN coalesce(l.applied_at, now()) ELSE l.applied_at END,
        updated_at         = now()
    FROM input i
    WHERE l.id = ANY ($2::bigint[])
      AND l.id = i.id
      AND l.status = ANY (string_to_array(i.from_statuses, ','))
      AND l.lease_owner IS NOT DISTINCT FROM i.owner
    RETURNING l.*, i.ord AS input_ord
  ),
  att AS (
    INSERT INTO ${t.attempt} (ledger_id, attempt_no, kind, worker, outcome, started_at, finished_at, error_class,
      error_message, provider_code, provider_ref, latency_ms)
    SELECT upd.id, (SELECT coalesce(max(a.attempt_no), 0) + 1 FROM ${t.attempt} a WHERE a.ledger_id = upd.id),
           i.attempt_kind, i.owner, upd.status, i.started_at, i.finished_at, i.a_error_class, i.a_error_message,
           i.provider_code, i.a_provider_ref, i.latency_ms
    FROM upd JOIN input i ON i.ord = upd.input_ord
    WHERE i.attempt_kind IS NOT NULL
    RETURNING *
  ),
  ob AS (
    INSERT INTO ${t.outbox} (topic, key, value, headers, traceparent, tracestate)
    SELECT m.value ->> 'topic', m.value -> 'key', m.value -> 'value', m.value -> 'headers',
           m.value ->> 'traceparent', m.value ->> 'tracestate'
    FROM upd JOIN input i ON i.ord = upd.input_ord, jsonb_array_elements(i.outbox) WITH ORDINALITY AS m(value, n)
    ORDER BY upd.input_ord, m.n
    RETURNING id
  )
  SELECT upd.*,
         (SELECT to_jsonb(att) || jsonb_build_object('id', att.id::text, 'ledger_id', att.ledger_id::text)
            FROM att WHERE att.ledger_id = upd.id) AS attempt_json
  FROM upd`;

/** One row of `TRANSITION`'s input: a command flattened, the attempt's defaults applied. */
function transitionInput(id: string, c: TransitionCommand, outbox: readonly OutboxMessage[]) {
  const a = c.attempt;
  return {
    id,
    from_statuses: c.from.join(','),
    owner: c.owner,
    to_status: c.to,
    sends: a?.kind === 'send' ? 1 : 0,
    provider_ref: c.providerRef ?? null,
    error_class: c.errorClass ?? null,
    error_message: c.errorMessage ?? null,
    next_attempt_at: c.nextAttemptAt?.toISOString() ?? null,
    attempt_kind: a?.kind ?? null,
    started_at: a?.startedAt.toISOString() ?? null,
    finished_at: a?.finishedAt.toISOString() ?? null,
    a_error_class: a ? (a.errorClass ?? c.errorClass ?? null) : null,
    a_error_message: a ? (a.errorMessage ?? c.errorMessage ?? null) : null,
    provider_code: a?.providerCode ?? null,
    a_provider_ref: a ? (a.providerRef ?? c.providerRef ?? null) : null,
    latency_ms: a
      ? Math.round(a.latencyMs ?? Math.max(0, a.finishedAt.getTime() - a.startedAt.getTime()))
      : null,
    // each message with the trace context it is written in (outboxRowOf)
    outbox: outbox.map(outboxRowOf),
  };
}

/**
 * The trace context a ledger row keeps: that of the `writeback.requested` message admitting it (its own within a
 * batch, found by correlation id), else the active one; none when tracing is off.
 */
function admittingTrace(request: WritebackRequested): { traceparent?: string; tracestate?: string } {
  return traceContextOf(messageTraceContext(request.correlationId));
}

/** The ledger table as database spans name it. */
export const LEDGER_COLLECTION = 'writeback_ledger';

/** The case attributes of a ledger span: ids only, never the request's payload. */
export function ledgerSpanAttributes(row: {
  caseId: string;
  idempotencyKey: string;
  destination: string;
}): Record<string, string> {
  return {
    'closeout.case_id': row.caseId,
    'closeout.idempotency_key': row.idempotencyKey,
    'closeout.destination': row.destination,
  };
}

/**
 * The writeback ledger: admission with dedupe, claiming with leases, guarded transitions with their attempt and
 * outbox rows in one transaction. Plain class over a DataSource — or over a transaction's EntityManager, which is
 * how `transaction()` scopes it — so a Nest module provides it with a one-line factory.
 *
 * Time is always the database's `now()`, never a worker's clock: leases and due times are compared by one clock.
 */
export class LedgerRepository {
  private readonly tables: WritebackTables;

  constructor(
    private readonly db: DataSource | EntityManager,
    options: { schema?: string } = {},
  ) {
    const dataSource = db instanceof EntityManager ? db.dataSource : db;
    const schema = options.schema ?? (dataSource.options as PostgresDataSourceOptions).schema;
    if (!schema) {
      throw new LedgerError(
        'LEDGER_INVALID_ARGUMENT',
        'LedgerRepository: the data source has no schema; pass { schema }',
      );
    }
    this.tables = writebackTables(schema);
  }

  get schema(): string {
    return this.tables.schema;
  }

  /** Runs `work` in one database transaction (a savepoint when already inside one) with a repository bound to it. */
  transaction<T>(work: (tx: LedgerRepository) => Promise<T>): Promise<T> {
    return this.manager.transaction((manager) =>
      work(new LedgerRepository(manager, { schema: this.schema })),
    );
  }

  /**
   * Admits a request: the first one for (destination, idempotency key) becomes a PENDING row due now; later ones
   * are a duplicate (same fingerprint) or a conflict (different fingerprint, recorded in `ledger_conflict`). An
   * existing row is never modified here. Messages from `options.outbox` are written in the same transaction.
   */
  async admit(
    request: WritebackRequested,
    fingerprint: string,
    options: AdmitOptions = {},
  ): Promise<AdmitOutcome> {
    if (fingerprint.trim() === '')
      throw new LedgerError('LEDGER_INVALID_ARGUMENT', 'admit: fingerprint must not be empty');
    const { outbox } = options;
    // Without outbox messages every step below is a single statement that stands on its own; a transaction would
    // only add round trips on the hot path.
    const work = async (tx: LedgerRepository): Promise<AdmitOutcome> => {
      const outcome = await tx.admitRow(request, fingerprint);
      if (outbox) await insertOutboxMessages(tx.manager, tx.tables.outbox, outbox(outcome));
      return outcome;
    };
    return outbox ? this.transaction(work) : work(this);
  }

  /**
   * Admits many requests with one multi-row `INSERT … ON CONFLICT DO NOTHING`: one round trip and one commit for a
   * whole Kafka batch. Requests whose key was already there (or appears twice in the batch) go through `admit` one
   * by one, which tells a duplicate from a conflict. Outcomes come back in input order.
   */
  async admitMany(
    items: ReadonlyArray<{ request: WritebackRequested; fingerprint: string }>,
  ): Promise<AdmitOutcome[]> {
    if (items.length === 0) return [];
    for (const { fingerprint } of items) {
      if (fingerprint.trim() === '')
        throw new LedgerError('LEDGER_INVALID_ARGUMENT', 'admitMany: fingerprint must not be empty');
    }
    const t = this.tables;
    const startedAt = Date.now();
    const inserted = await this.rows(
      `INSERT INTO ${t.ledger} (destination, idempotency_key, fingerprint, operation, protocol, case_id, workflow_id,
         correlation_id, causation_id, request, contract_version, mapping_version, status, next_attempt_at,
         traceparent, tracestate)
       SELECT r.request ->> 'destination', r.request ->> 'idempotencyKey', r.fingerprint, r.request ->> 'operation',
              r.request ->> 'protocol', r.request ->> 'caseId', r.request ->> 'workflowId', r.request ->> 'correlationId',
              r.request ->> 'causationId', r.request, r.request ->> 'contractVersion', r.request ->> 'mappingVersion',
              'PENDING', now(), r.traceparent, r.tracestate
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (request jsonb, fingerprint text, traceparent text, tracestate text))
            WITH ORDINALITY AS r(request, fingerprint, traceparent, tracestate, n)
       ORDER BY r.n
       ON CONFLICT (destination, idempotency_key) DO NOTHING
       RETURNING *`,
      [
        JSON.stringify(
          items.map((i) => ({
            request: i.request,
            fingerprint: i.fingerprint,
            ...admittingTrace(i.request),
          })),
        ),
      ],
    );
    // One statement for the batch: a span in each message's trace, with the statement's timing.
    const timing = { startedAt, endedAt: Date.now() };
    for (const { request } of items) {
      recordDbSpan(
        {
          operation: 'admit',
          collection: LEDGER_COLLECTION,
          namespace: this.schema,
          batchSize: items.length,
          attributes: ledgerSpanAttributes(request),
        },
        messageTraceContext(request.correlationId),
        timing,
      );
    }
    const admitted = new Map<string, LedgerRow>();
    for (const raw of inserted) {
      const row = toLedgerRow(raw);
      admitted.set(row.request.eventId, row);
    }
    const outcomes: AdmitOutcome[] = [];
    for (const { request, fingerprint } of items) {
      const row = admitted.get(request.eventId);
      // The same event twice in one batch: only its first copy is the admission.
      if (row && row.idempotencyKey === request.idempotencyKey && row.destination === request.destination) {
        admitted.delete(request.eventId);
        outcomes.push({ kind: 'admitted', row });
      } else {
        outcomes.push(await this.admitRow(request, fingerprint));
      }
    }
    return outcomes;
  }

  private async admitRow(request: WritebackRequested, fingerprint: string): Promise<AdmitOutcome> {
    const t = this.tables;
    // ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit or roll back, so of N racing
    // admissions exactly one inserts and the others see its committed row in the SELECT that follows.
    const inserted = await this.rows(
      `INSERT INTO ${t.ledger} (destination, idempotency_key, fingerprint, operation, protocol, case_id, workflow_id,
         correlation_id, causation_id, request, contract_version, mapping_version, status, next_attempt_at,
         traceparent, tracestate)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, 'PENDING', now(), $13, $14)
       ON CONFLICT (destination, idempotency_key) DO NOTHING
       RETURNING *`,
      [
        request.destination,
        request.idempotencyKey,
        fingerprint,
        request.operation,
        request.protocol,
        request.caseId,
        request.workflowId,
        request.correlationId,
        request.causationId,
        JSON.stringify(request),
        request.contractVersion,
        request.mappingVersion,
        admittingTrace(request).traceparent ?? null,
        admittingTrace(request).tracestate ?? null,
      ],
    );
    if (inserted[0]) return { kind: 'admitted', row: toLedgerRow(inserted[0]) };

    const existing = await this.findByKey(request.destination, request.idempotencyKey);
    if (!existing) {
      throw new LedgerError(
        'LEDGER_ROW_NOT_FOUND',
        `admit: (${request.destination}, ${request.idempotencyKey}) conflicted on insert but cannot be read back`,
      );
    }
    if (existing.fingerprint === fingerprint) return { kind: 'duplicate', row: existing };

    const recorded = await this.rows(
      `INSERT INTO ${t.conflict} (ledger_id, destination, idempotency_key, fingerprint, existing_fingerprint, event_id,
         correlation_id, causation_id, request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
       ON CONFLICT (ledger_id, event_id) DO NOTHING
       RETURNING *`,
      [
        existing.id,
        request.destination,
        request.idempotencyKey,
        fingerprint,
        existing.fingerprint,
        request.eventId,
        request.correlationId,
        request.causationId,
        JSON.stringify(request),
      ],
    );
    if (recorded[0])
      return { kind: 'conflict', row: existing, conflict: toConflictRow(recorded[0]), redelivered: false };
    const [again] = await this.rows(`SELECT * FROM ${t.conflict} WHERE ledger_id = $1 AND event_id = $2`, [
      existing.id,
      request.eventId,
    ]);
    return { kind: 'conflict', row: existing, conflict: toConflictRow(again!), redelivered: true };
  }

  /**
   * Claims up to `limit` due rows for `owner` for `leaseMs`, in one statement:
   *
   * - PENDING / FAILED_RETRYABLE due now → IN_FLIGHT, action SEND;
   * - UNKNOWN due now → stays UNKNOWN under the lease, action RESOLVE (ask the destination, never resend blind);
   * - IN_FLIGHT whose lease expired → UNKNOWN under the new lease, action RESOLVE: the earlier send may or may not
   *   have reached the destination, so this is exactly the case that must not be sent again.
   *
   * `FOR UPDATE SKIP LOCKED` makes concurrent claimers take disjoint rows without waiting on each other; a row
   * another claimer committed meanwhile is re-checked against the WHERE clause and no longer qualifies (its
   * next_attempt_at moved to its lease expiry), so no row is ever handed to two workers.
   *
   * A leased row's next_attempt_at is its lease expiry: "due" then means "the lease ran out", and one index scan
   * in due order serves waiting and abandoned rows alike. `destinations` limits the claim (e.g. to destinations
   * whose circuit breaker is closed).
   */
  async claimDue(
    owner: string,
    limit: number,
    leaseMs: number,
    destinations?: readonly string[],
  ): Promise<ClaimedRow[]> {
    requireOwner(owner, 'claimDue');
    if (!Number.isInteger(limit) || limit < 1)
      throw invalid(`claimDue: limit must be an integer >= 1, got ${limit}`);
    if (!Number.isFinite(leaseMs) || leaseMs <= 0)
      throw invalid(`claimDue: leaseMs must be > 0, got ${leaseMs}`);
    const t = this.tables;
    const startedAt = Date.now();
    const raws = await this.rows(
      `WITH due AS (
         SELECT id, status, next_attempt_at
         FROM ${t.ledger}
         WHERE ${WORKABLE}
           AND next_attempt_at <= now()
           AND ($4::text[] IS NULL OR destination = ANY ($4::text[]))
         ORDER BY next_attempt_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ),
       claimed AS (
         UPDATE ${t.ledger} AS l
         SET status           = CASE WHEN due.status IN ('UNKNOWN', 'IN_FLIGHT') THEN 'UNKNOWN' ELSE 'IN_FLIGHT' END,
             claimed_from     = due.status,
             -- An abandoned send has been of unknown outcome since its lease ran out.
             unknown_since    = CASE WHEN due.status = 'IN_FLIGHT' THEN coalesce(l.unknown_since, l.lease_expires_at)
                                     ELSE l.unknown_since END,
             lease_owner      = $1,
             lease_expires_at = now() + $3::double precision * interval '1 millisecond',
             next_attempt_at  = now() + $3::double precision * interval '1 millisecond',
             updated_at       = now()
         FROM due
         WHERE l.id = due.id
         RETURNING l.*, due.status AS previous_status, due.next_attempt_at AS due_at
       )
       SELECT * FROM claimed ORDER BY due_at, id`,
      [owner, limit, leaseMs, destinations ? [...destinations] : null],
    );
    const timing: StatementTiming = { startedAt, endedAt: Date.now() };
    return raws.map((raw) => {
      const row = toLedgerRow(raw);
      this.recordClaim(row, raws.length, timing);
      return {
        ...row,
        claim: {
          action: row.status === 'UNKNOWN' ? 'RESOLVE' : 'SEND',
          owner,
          expiresAt: row.leaseExpiresAt!,
          previousStatus: raw['previous_status'] as WritebackStatus,
        },
      };
    });
  }

  /**
   * The claim in the trace of the message that admitted the row (kept on it), as `claim writeback_ledger`: one
   * statement claims rows of many cases, so each case's trace gets a span with the statement's timing. Nothing for a
   * row admitted without a trace.
   */
  private recordClaim(row: LedgerRow, batchSize: number, timing: StatementTiming): void {
    const carried = keptTraceHeaders(row);
    if (!carried) return;
    recordDbSpan(
      {
        operation: 'claim',
        collection: LEDGER_COLLECTION,
        namespace: this.schema,
        batchSize,
        attributes: { ...ledgerSpanAttributes(row), 'closeout.writeback_status': row.status },
      },
      extractTraceContext(carried),
      timing,
    );
  }

  /**
   * Moves row `id` from one of `from` to `to`, with its attempt row and outbox messages: `transitionMany` with one
   * row. Zero rows updated throws `LostLeaseError` (or `LedgerRowNotFoundError`) and nothing is written.
   *
   * The lease is released (except when `to` is IN_FLIGHT); owner null guards "nobody holds it", for commands on
   * settled rows. The lease's expiry is deliberately not part of the guard: a worker whose lease ran out but was
   * not yet reclaimed still holds the freshest truth about its send, so its result is accepted.
   *
   * Messages computed from the updated row (`outbox` a function) are written after the statement returns it, in
   * the same transaction (a savepoint inside `transaction()`).
   */
  async transition(id: string, command: TransitionCommand): Promise<TransitionResult> {
    const { outbox } = command;
    if (typeof outbox !== 'function') return orThrow(await this.transitionMany([{ id, command }]));
    return this.transaction(async (tx) => {
      const result = orThrow(await tx.transitionMany([{ id, command: { ...command, outbox: [] } }]));
      await insertOutboxMessages(tx.manager, tx.tables.outbox, outbox(result.row));
      return result;
    });
  }

  /**
   * Many transitions with precomputed outbox messages in one statement (`TRANSITION`): each row guarded on its
   * own, the winners' attempt and outbox rows written with them. Ids must be distinct. Per item, in input order:
   * its result, or the LedgerError saying why its guard failed.
   */
  async transitionMany(
    items: ReadonlyArray<{ id: string; command: TransitionCommand }>,
  ): Promise<Array<TransitionResult | LedgerError>> {
    if (items.length === 0) return [];
    if (new Set(items.map((i) => i.id)).size !== items.length)
      throw invalid('transitionMany: ids must be distinct');
    const input = items.map(({ id, command: c }) => {
      if (c.from.length === 0) throw invalid(`transition ${id}: 'from' must list at least one status`);
      if (c.owner !== null) requireOwner(c.owner, 'transition');
      if (typeof c.outbox === 'function')
        throw invalid('transitionMany: outbox messages must be precomputed');
      return transitionInput(id, c, c.outbox ?? []);
    });
    const raws = await this.rows(TRANSITION(this.tables), [JSON.stringify(input), items.map((i) => i.id)]);
    const byId = new Map(raws.map((raw) => [String(raw['id']), raw]));
    const results: Array<TransitionResult | LedgerError> = [];
    for (const { id, command } of items) {
      const raw = byId.get(id);
      if (!raw) {
        results.push(await this.lostLease(id, command));
        continue;
      }
      const attemptJson = raw['attempt_json'] as Raw | null;
      results.push({ row: toLedgerRow(raw), attempt: attemptJson ? toAttemptRow(attemptJson) : null });
    }
    return results;
  }

  /** Says why a guarded UPDATE matched nothing. */
  private async lostLease(id: string, c: TransitionCommand): Promise<LedgerError> {
    const [current] = await this.rows(`SELECT status, lease_owner FROM ${this.tables.ledger} WHERE id = $1`, [
      id,
    ]);
    if (!current) return new LedgerRowNotFoundError(id);
    return new LostLeaseError(
      id,
      { from: c.from, owner: c.owner },
      {
        status: current['status'] as WritebackStatus,
        owner: (current['lease_owner'] as string | null) ?? null,
      },
    );
  }

  /**
   * Gives a claimed row back untouched (shutdown before sending, breaker opened meanwhile): a send claim returns to
   * the status it was claimed from, a resolve claim stays UNKNOWN. Due again at `nextAttemptAt` (default now).
   * Returns false when `owner` no longer holds the lease — then there is nothing of theirs to give back.
   */
  async releaseLease(id: string, owner: string, options: { nextAttemptAt?: Date } = {}): Promise<boolean> {
    requireOwner(owner, 'releaseLease');
    const t = this.tables;
    const released = await this.rows(
      `WITH back AS (
         SELECT id,
                CASE WHEN status = 'IN_FLIGHT' AND claimed_from IN ('PENDING', 'FAILED_RETRYABLE') THEN claimed_from
                     ELSE 'UNKNOWN' END AS status
         FROM ${t.ledger}
         WHERE id = $1 AND lease_owner = $2
         FOR UPDATE
       )
       UPDATE ${t.ledger} AS l
       SET status = back.status,
           unknown_since = CASE WHEN back.status = 'UNKNOWN' THEN coalesce(l.unknown_since, now()) END,
           lease_owner = NULL,
           lease_expires_at = NULL,
           next_attempt_at = coalesce($3::timestamptz, now()),
           updated_at = now()
       FROM back
       WHERE l.id = back.id AND l.lease_owner = $2
       RETURNING l.id`,
      [id, owner, options.nextAttemptAt ?? null],
    );
    return released.length === 1;
  }

  /** Extends `owner`'s lease to now + leaseMs (long uploads, slow lookups). False when the lease was lost. */
  async extendLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    requireOwner(owner, 'extendLease');
    if (!Number.isFinite(leaseMs) || leaseMs <= 0)
      throw invalid(`extendLease: leaseMs must be > 0, got ${leaseMs}`);
    const extended = await this.rows(
      `UPDATE ${this.tables.ledger}
       SET lease_expires_at = now() + $3::double precision * interval '1 millisecond',
           next_attempt_at  = now() + $3::double precision * interval '1 millisecond',
           updated_at = now()
       WHERE id = $1 AND lease_owner = $2
       RETURNING id`,
      [id, owner, leaseMs],
    );
    return extended.length === 1;
  }

  /**
   * Records a `writeback.command.v1` once per command id (`INSERT … ON CONFLICT DO NOTHING`): false when the id was
   * recorded before, and then the caller must do nothing — a redelivered command is acted on once.
   */
  async recordCommand(command: RecordedCommand): Promise<boolean> {
    const inserted = await this.rows(
      `INSERT INTO ${this.tables.command} (command_id, command, destination, idempotency_key, case_id, break_id,
         ledger_id, outcome, detail, issued_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (command_id) DO NOTHING
       RETURNING command_id`,
      [
        command.commandId,
        command.command,
        command.destination,
        command.idempotencyKey,
        command.caseId,
        command.breakId,
        command.ledgerId,
        command.outcome,
        command.detail,
        command.issuedBy,
      ],
    );
    return inserted.length === 1;
  }

  async findCommand(commandId: string): Promise<RecordedCommand | null> {
    const [raw] = await this.rows(`SELECT * FROM ${this.tables.command} WHERE command_id = $1`, [commandId]);
    if (!raw) return null;
    return {
      commandId: String(raw['command_id']),
      command: raw['command'] as RecordedCommand['command'],
      destination: String(raw['destination']),
      idempotencyKey: String(raw['idempotency_key']),
      caseId: String(raw['case_id']),
      breakId: (raw['break_id'] as string | null) ?? null,
      ledgerId: raw['ledger_id'] === null ? null : String(raw['ledger_id']),
      outcome: raw['outcome'] as CommandOutcomeKind,
      detail: String(raw['detail']),
      issuedBy: String(raw['issued_by']),
    };
  }

  /**
   * Makes a row nobody holds due now for resolution by lookup: FAILED_RETRYABLE and UNKNOWN rows become UNKNOWN
   * (the worker claims them as RESOLVE and asks the destination before anything is sent again); a PENDING row was
   * never sent, so it only becomes due now. A row waiting out a destination's Retry-After stays due when the
   * destination said (the lookup is a call too, and the wait was the destination's word, not our backoff).
   * Returns the new status, or null when the row is leased or settled.
   */
  async markDueForResolution(id: string): Promise<WritebackStatus | null> {
    const [raw] = await this.rows(
      `UPDATE ${this.tables.ledger}
       SET status          = CASE WHEN status = 'PENDING' THEN 'PENDING' ELSE 'UNKNOWN' END,
           unknown_since   = CASE WHEN status = 'PENDING' THEN unknown_since ELSE coalesce(unknown_since, now()) END,
           next_attempt_at = CASE WHEN status = 'FAILED_RETRYABLE' AND last_error_class = 'RATE_LIMITED'
                                  THEN greatest(next_attempt_at, now()) ELSE now() END,
           updated_at      = now()
       WHERE id = $1 AND lease_owner IS NULL AND status IN ('PENDING', 'FAILED_RETRYABLE', 'UNKNOWN')
       RETURNING status`,
      [id],
    );
    return raw ? (raw['status'] as WritebackStatus) : null;
  }

  /** Appends messages to the outbox; inside `transaction()` they commit or vanish with the rest of the work. */
  enqueue(messages: readonly OutboxMessage[]): Promise<string[]> {
    return insertOutboxMessages(this.manager, this.tables.outbox, messages);
  }

  async findByKey(destination: string, idempotencyKey: string): Promise<LedgerRow | null> {
    const [raw] = await this.rows(
      `SELECT * FROM ${this.tables.ledger} WHERE destination = $1 AND idempotency_key = $2`,
      [destination, idempotencyKey],
    );
    return raw ? toLedgerRow(raw) : null;
  }

  /**
   * For each ask, another row of its destination already holding its provider reference, if any: that row's id and
   * idempotency key, else null (in the order asked). A reference names one posting, so a second row claiming it means
   * one of the two answers was not that row's own. One statement for every ask (the worker batches its concurrent asks
   * into it).
   */
  async holdersOfProviderRefs(asks: readonly ProviderRefAsk[]): Promise<Array<ProviderRefHolder | null>> {
    const raws = await this.rows(
      `SELECT q.ord, h.id, h.idempotency_key
       FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS q(destination, provider_ref, except_id, ord)
       JOIN LATERAL (
         SELECT l.id, l.idempotency_key FROM ${this.tables.ledger} l
         WHERE l.destination = q.destination AND l.provider_ref = q.provider_ref AND l.provider_ref IS NOT NULL
           AND l.id <> q.except_id
         LIMIT 1) h ON true`,
      [asks.map((a) => a.destination), asks.map((a) => a.providerRef), asks.map((a) => a.exceptId)],
    );
    const holders: Array<ProviderRefHolder | null> = asks.map(() => null);
    for (const raw of raws)
      holders[Number(raw['ord']) - 1] = {
        id: String(raw['id']),
        idempotencyKey: String(raw['idempotency_key']),
      };
    return holders;
  }

  async findById(id: string): Promise<LedgerRow | null> {
    const [raw] = await this.rows(`SELECT * FROM ${this.tables.ledger} WHERE id = $1`, [id]);
    return raw ? toLedgerRow(raw) : null;
  }

  async listAttempts(ledgerId: string): Promise<LedgerAttemptRow[]> {
    const raws = await this.rows(
      `SELECT * FROM ${this.tables.attempt} WHERE ledger_id = $1 ORDER BY attempt_no`,
      [ledgerId],
    );
    return raws.map(toAttemptRow);
  }

  async listConflicts(ledgerId: string): Promise<LedgerConflictRow[]> {
    const raws = await this.rows(`SELECT * FROM ${this.tables.conflict} WHERE ledger_id = $1 ORDER BY id`, [
      ledgerId,
    ]);
    return raws.map(toConflictRow);
  }

  /** Rows per status, zeros included (reads the whole ledger: for tests and benchmarks, not for scrapes). */
  async countByStatus(): Promise<Record<WritebackStatus, number>> {
    return this.countStatuses(WRITEBACK_STATUSES, 'TRUE');
  }

  /**
   * Rows per open status (PENDING, IN_FLIGHT, FAILED_RETRYABLE, UNKNOWN), zeros included: the backlog. Reads only
   * the open rows, so a scrape costs the same after a year of settled writebacks as on the first day.
   */
  async countOpenByStatus(): Promise<Partial<Record<WritebackStatus, number>>> {
    return this.countStatuses(OPEN_STATUSES, WORKABLE);
  }

  private async countStatuses<S extends WritebackStatus>(
    statuses: readonly S[],
    where: string,
  ): Promise<Record<S, number>> {
    const counts = Object.fromEntries(statuses.map((st) => [st, 0])) as Record<S, number>;
    const raws = await this.rows(
      `SELECT status, count(*)::int AS n FROM ${this.tables.ledger} WHERE ${where} GROUP BY status`,
      [],
    );
    for (const r of raws) counts[r['status'] as S] = Number(r['n']);
    return counts;
  }

  /**
   * Age in seconds of the oldest outcome nobody knows yet — an UNKNOWN row, or a send whose lease ran out and was
   * not reclaimed yet; 0 when there is none. Alerts fire on this aging, not on error counts.
   */
  async oldestUnknownAgeSeconds(): Promise<number> {
    const t = this.tables;
    const [r] = await this.rows(
      `SELECT extract(epoch FROM now() - least(
         (SELECT min(unknown_since) FROM ${t.ledger} WHERE unknown_since IS NOT NULL),
         (SELECT min(next_attempt_at) FROM ${t.ledger}
           WHERE ${WORKABLE} AND status = 'IN_FLIGHT' AND next_attempt_at <= now())
       ))::float8 AS age`,
      [],
    );
    const age = r?.['age'];
    return age === null || age === undefined ? 0 : Math.max(0, Number(age));
  }

  /** Rows a claim would take now (all destinations, or only `destinations`). */
  async dueCount(destinations?: readonly string[]): Promise<number> {
    const [r] = await this.rows(
      `SELECT count(*)::int AS n FROM ${this.tables.ledger}
       WHERE ${WORKABLE} AND next_attempt_at <= now()
         AND ($1::text[] IS NULL OR destination = ANY ($1::text[]))`,
      [destinations ? [...destinations] : null],
    );
    return Number(r?.['n'] ?? 0);
  }

  private get manager(): EntityManager {
    return this.db instanceof EntityManager ? this.db : this.db.manager;
  }

  /**
   * Runs SQL and returns its rows. TypeORM's Postgres driver answers UPDATE and DELETE with `[rows, rowCount]`
   * and everything else with `rows`; this hides the difference.
   */
  private async rows(sql: string, params: unknown[]): Promise<Raw[]> {
    const result: unknown = await this.manager.query(sql, params);
    if (
      Array.isArray(result) &&
      result.length === 2 &&
      Array.isArray(result[0]) &&
      typeof result[1] === 'number'
    ) {
      return result[0] as Raw[];
    }
    return result as Raw[];
  }
}

/** The one result of a one-row `transitionMany`, or its error thrown. */
function orThrow([result]: Array<TransitionResult | LedgerError>): TransitionResult {
  if (result instanceof LedgerError) throw result;
  return result!;
}

function invalid(message: string): LedgerError {
  return new LedgerError('LEDGER_INVALID_ARGUMENT', message);
}

function requireOwner(owner: string, operation: string): void {
  if (typeof owner !== 'string' || owner.trim() === '')
    throw invalid(`${operation}: owner must be a non-empty worker id`);
}

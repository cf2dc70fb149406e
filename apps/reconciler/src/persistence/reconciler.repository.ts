import type { CaseState, Protocol, WritebackRequested, WritebackResult } from '@closeout/contracts';
import type {
  AlertCondition,
  CaseCompletion,
  CaseSample,
  DetectedBreak,
  Expectation,
  FollowUpCommand,
  OpenBreak,
  ResultSample,
  WritebackSample,
} from '@closeout/reconciler-domain';
import { CASE_END_STATES, straightThrough, type CaseEndState } from '@closeout/reconciler-domain';
import type { DataSource, EntityManager } from 'typeorm';

type Raw = Record<string, unknown>;

export interface BreakRow extends OpenBreak {
  idempotencyKey: string | null;
  caseId: string | null;
  workflowId: string | null;
  correlationId: string | null;
  protocol: Protocol | null;
  status: 'OPEN' | 'RESOLVED';
  detectedAt: Date;
  resolvedAt: Date | null;
  context: Record<string, unknown>;
  command: 'RESOLVE' | 'REPLAY' | 'FLAG';
  commandId: string;
  commandSentAt: Date | null;
  /** The one command sent when the break stayed open (see `followUpFor`): REPLAY, or FLAG for a false failure. */
  followUpCommand: FollowUpCommand | null;
  followUpCommandId: string | null;
  followUpSentAt: Date | null;
}

export interface AlertRow {
  id: string;
  key: string;
  kind: AlertCondition['kind'];
  status: 'OPEN' | 'RESOLVED';
  raisedAt: Date;
  resolvedAt: Date | null;
  context: Record<string, unknown>;
}

const ms = (v: unknown): number | null => (v === null || v === undefined ? null : new Date(v as string).getTime());
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

function toBreak(r: Raw): BreakRow {
  return {
    id: String(r['id']),
    key: String(r['key']),
    kind: r['kind'] as BreakRow['kind'],
    destination: String(r['destination']),
    idempotencyKey: (r['idempotency_key'] as string | null) ?? null,
    caseId: (r['case_id'] as string | null) ?? null,
    workflowId: (r['workflow_id'] as string | null) ?? null,
    correlationId: (r['correlation_id'] as string | null) ?? null,
    protocol: (r['protocol'] as Protocol | null) ?? null,
    status: r['status'] as BreakRow['status'],
    detectedAt: date(r['detected_at'])!,
    resolvedAt: date(r['resolved_at']),
    context: r['context'] as Record<string, unknown>,
    command: r['command'] as BreakRow['command'],
    commandId: String(r['command_id']),
    commandSentAt: date(r['command_sent_at']),
    followUpCommand: (r['follow_up_command'] as BreakRow['followUpCommand']) ?? null,
    followUpCommandId: (r['follow_up_command_id'] as string | null) ?? null,
    followUpSentAt: date(r['follow_up_sent_at']),
  };
}

function toAlert(r: Raw): AlertRow {
  return {
    id: String(r['id']),
    key: String(r['key']),
    kind: r['kind'] as AlertRow['kind'],
    status: r['status'] as AlertRow['status'],
    raisedAt: date(r['raised_at'])!,
    resolvedAt: date(r['resolved_at']),
    context: r['context'] as Record<string, unknown>,
  };
}

/**
 * The reconciler's tables, in raw SQL: upserts that make redelivery change nothing (results before requests
 * included), and breaks and alerts kept to one open row per key by partial unique indexes.
 */
export class ReconcilerRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** A request fills in what a result may have left empty; never overwrites what a result recorded. */
  async recordRequested(r: WritebackRequested): Promise<void> {
    await this.db.query(
      `INSERT INTO expectation (destination, idempotency_key, protocol, operation, case_id, workflow_id, correlation_id,
         requested_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::double precision / 1000))
       ON CONFLICT (destination, idempotency_key) DO UPDATE
       SET requested_at   = coalesce(expectation.requested_at, excluded.requested_at),
           protocol       = coalesce(expectation.protocol, excluded.protocol),
           operation      = coalesce(expectation.operation, excluded.operation),
           case_id        = coalesce(expectation.case_id, excluded.case_id),
           workflow_id    = coalesce(expectation.workflow_id, excluded.workflow_id),
           correlation_id = coalesce(expectation.correlation_id, excluded.correlation_id),
           updated_at     = now()`,
      [r.destination, r.idempotencyKey, r.protocol, r.operation, r.caseId, r.workflowId, r.correlationId, r.requestedAt],
    );
  }

  /**
   * A result once per event id; the expectation takes the newest result's status (by occurredAt, so an older result
   * redelivered late cannot roll it back). Returns false for a redelivered event.
   */
  async recordResult(r: WritebackResult): Promise<boolean> {
    const inserted = (await this.db.query(
      `INSERT INTO result_event (event_id, destination, idempotency_key, workflow_id, status, error_class, duplicate,
         occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::double precision / 1000))
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [r.eventId, r.destination, r.idempotencyKey, r.workflowId, r.status, r.errorClass, r.duplicate, r.occurredAt],
    )) as Raw[];
    if (inserted.length === 0) return false;
    await this.db.query(
      `INSERT INTO expectation AS e (destination, idempotency_key, protocol, operation, case_id, workflow_id,
         correlation_id, result_at, status, error_class, provider_ref, applied_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::double precision / 1000), $9, $10, $11,
               CASE WHEN $9 = 'APPLIED' THEN to_timestamp($8::double precision / 1000) END)
       ON CONFLICT (destination, idempotency_key) DO UPDATE
       SET status       = CASE WHEN e.result_at IS NULL OR excluded.result_at >= e.result_at THEN excluded.status ELSE e.status END,
           error_class  = CASE WHEN e.result_at IS NULL OR excluded.result_at >= e.result_at THEN excluded.error_class ELSE e.error_class END,
           result_at    = greatest(e.result_at, excluded.result_at),
           provider_ref = coalesce(excluded.provider_ref, e.provider_ref),
           applied_at   = least(e.applied_at, excluded.applied_at),
           protocol     = coalesce(e.protocol, excluded.protocol),
           operation    = coalesce(e.operation, excluded.operation),
           case_id      = coalesce(e.case_id, excluded.case_id),
           workflow_id  = coalesce(e.workflow_id, excluded.workflow_id),
           correlation_id = coalesce(e.correlation_id, excluded.correlation_id),
           updated_at   = now()`,
      [
        r.destination,
        r.idempotencyKey,
        r.protocol,
        r.operation,
        r.caseId,
        r.workflowId,
        r.correlationId,
        r.occurredAt,
        r.status,
        r.errorClass,
        r.providerRef,
      ],
    );
    return true;
  }

  /**
   * Case view from case.state: order-insensitive (earliest trigger, any EXCEPTION, the COMPLETED lists, the first end
   * reached). Returns the case's first end when this event is the one that recorded it (so the caller counts it once
   * per case; a redelivery of that same event counts again), otherwise null.
   */
  async recordCaseState(c: CaseState): Promise<{ workflowId: string; endState: CaseEndState; straightThrough: boolean } | null> {
    const at = c.occurredAt;
    const ends = (CASE_END_STATES as readonly string[]).includes(c.state);
    const rows = (await this.db.query(
      `INSERT INTO case_view AS v (case_id, workflow_id, correlation_id, triggered_at, completed_at, saw_exception,
         required_writebacks, applied_writebacks, ended_at, end_state)
       VALUES ($1, $2, $3, CASE WHEN $4 = 'TRIGGERED' THEN to_timestamp($5::double precision / 1000) END,
               CASE WHEN $4 = 'COMPLETED' THEN to_timestamp($5::double precision / 1000) END, $4 = 'EXCEPTION',
               CASE WHEN $4 = 'COMPLETED' THEN $6::text[] ELSE '{}' END,
               CASE WHEN $4 = 'COMPLETED' THEN $7::text[] ELSE '{}' END,
               CASE WHEN $8 THEN to_timestamp($5::double precision / 1000) END,
               CASE WHEN $8 THEN $4 END)
       ON CONFLICT (case_id) DO UPDATE
       SET triggered_at        = least(v.triggered_at, excluded.triggered_at),
           completed_at        = coalesce(v.completed_at, excluded.completed_at),
           saw_exception       = v.saw_exception OR excluded.saw_exception,
           required_writebacks = CASE WHEN $4 = 'COMPLETED' THEN excluded.required_writebacks ELSE v.required_writebacks END,
           applied_writebacks  = CASE WHEN $4 = 'COMPLETED' THEN excluded.applied_writebacks ELSE v.applied_writebacks END,
           ended_at            = CASE WHEN v.ended_at IS NULL OR excluded.ended_at < v.ended_at THEN coalesce(excluded.ended_at, v.ended_at) ELSE v.ended_at END,
           end_state           = CASE WHEN v.ended_at IS NULL OR excluded.ended_at < v.ended_at THEN coalesce(excluded.end_state, v.end_state) ELSE v.end_state END,
           updated_at          = now()
       RETURNING workflow_id, end_state, saw_exception,
         ($8 AND ended_at = to_timestamp($5::double precision / 1000) AND end_state = $4) AS recorded_end`,
      [c.caseId, c.workflowId, c.correlationId, c.state, at, c.requiredWritebacks, c.appliedWritebacks, ends],
    )) as Raw[];
    const row = rows[0];
    if (!row || row['recorded_end'] !== true) return null;
    const endState = row['end_state'] as CaseEndState;
    return {
      workflowId: String(row['workflow_id']),
      endState,
      straightThrough: straightThrough({ endState, sawException: Boolean(row['saw_exception']) }),
    };
  }

  /** Expectations worth judging: unsettled ones, and anything with activity within `sinceMs`. */
  async expectations(sinceMs: number): Promise<Expectation[]> {
    const rows = (await this.db.query(
      `SELECT * FROM expectation
       WHERE status IS NULL OR status NOT IN ('APPLIED', 'FAILED_PERMANENT', 'REJECTED_CONFLICT')
          OR coalesce(result_at, requested_at) >= to_timestamp($1::double precision / 1000)`,
      [sinceMs],
    )) as Raw[];
    return rows.map((r) => ({
      destination: String(r['destination']),
      idempotencyKey: String(r['idempotency_key']),
      protocol: (r['protocol'] as Expectation['protocol']) ?? null,
      operation: (r['operation'] as string | null) ?? null,
      caseId: (r['case_id'] as string | null) ?? null,
      workflowId: (r['workflow_id'] as string | null) ?? null,
      correlationId: (r['correlation_id'] as string | null) ?? null,
      requestedAt: ms(r['requested_at']),
      resultAt: ms(r['result_at']),
      status: (r['status'] as Expectation['status']) ?? null,
      errorClass: (r['error_class'] as Expectation['errorClass']) ?? null,
      providerRef: (r['provider_ref'] as string | null) ?? null,
      appliedAt: ms(r['applied_at']),
    }));
  }

  async completions(sinceMs: number): Promise<CaseCompletion[]> {
    const rows = (await this.db.query(
      `SELECT * FROM case_view WHERE completed_at >= to_timestamp($1::double precision / 1000)`,
      [sinceMs],
    )) as Raw[];
    return rows.map((r) => ({
      caseId: String(r['case_id']),
      workflowId: String(r['workflow_id']),
      correlationId: String(r['correlation_id']),
      completedAt: ms(r['completed_at'])!,
      requiredWritebacks: r['required_writebacks'] as string[],
      appliedWritebacks: r['applied_writebacks'] as string[],
    }));
  }

  async writebackSamples(sinceMs: number): Promise<WritebackSample[]> {
    const rows = (await this.db.query(
      `SELECT * FROM expectation WHERE result_at >= to_timestamp($1::double precision / 1000)`,
      [sinceMs],
    )) as Raw[];
    return rows.map((r) => ({
      workflowId: String(r['workflow_id'] ?? 'unknown'),
      destination: String(r['destination']),
      status: r['status'] as WritebackSample['status'],
      requestedAt: ms(r['requested_at']),
      resultAt: ms(r['result_at'])!,
      appliedAt: ms(r['applied_at']),
      errorClass: (r['error_class'] as WritebackSample['errorClass']) ?? null,
    }));
  }

  async resultSamples(sinceMs: number): Promise<ResultSample[]> {
    const rows = (await this.db.query(
      `SELECT * FROM result_event WHERE occurred_at >= to_timestamp($1::double precision / 1000)`,
      [sinceMs],
    )) as Raw[];
    return rows.map((r) => ({
      workflowId: String(r['workflow_id']),
      destination: String(r['destination']),
      occurredAt: ms(r['occurred_at'])!,
      duplicate: Boolean(r['duplicate']),
      errorClass: (r['error_class'] as ResultSample['errorClass']) ?? null,
    }));
  }

  /** Cases completed or first ended since `sinceMs`. */
  async caseSamples(sinceMs: number): Promise<CaseSample[]> {
    const rows = (await this.db.query(
      `SELECT * FROM case_view
       WHERE completed_at >= to_timestamp($1::double precision / 1000) OR ended_at >= to_timestamp($1::double precision / 1000)`,
      [sinceMs],
    )) as Raw[];
    return rows.map((r) => ({
      workflowId: String(r['workflow_id']),
      triggeredAt: ms(r['triggered_at']),
      completedAt: ms(r['completed_at']),
      endedAt: ms(r['ended_at']),
      endState: (r['end_state'] as CaseEndState | null) ?? null,
      sawException: Boolean(r['saw_exception']),
    }));
  }

  /** The oldest UNKNOWN outcome per destination, as an age in ms at `now`. */
  async oldestUnknownAges(now: number): Promise<Map<string, number>> {
    const rows = (await this.db.query(
      `SELECT destination, min(result_at) AS since FROM expectation WHERE status = 'UNKNOWN' GROUP BY destination`,
    )) as Raw[];
    return new Map(rows.map((r) => [String(r['destination']), Math.max(0, now - ms(r['since'])!)]));
  }

  /** Opens a break unless one is open for its key; returns the new row, or null when it was already open. */
  async openBreak(b: DetectedBreak, command: BreakRow['command'], commandId: string, protocol: Protocol | null): Promise<BreakRow | null> {
    const rows = (await this.db.query(
      `INSERT INTO break (key, kind, destination, idempotency_key, case_id, workflow_id, correlation_id, protocol,
         context, command, command_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
       ON CONFLICT (key) WHERE status = 'OPEN' DO NOTHING
       RETURNING *`,
      [b.key, b.kind, b.destination, b.idempotencyKey, b.caseId, b.workflowId, b.correlationId, protocol,
        JSON.stringify(b.context), command, commandId],
    )) as Raw[];
    return rows[0] ? toBreak(rows[0]) : null;
  }

  async resolveBreak(id: string): Promise<BreakRow | null> {
    const [rows] = (await this.db.query(
      `UPDATE break SET status = 'RESOLVED', resolved_at = now() WHERE id = $1 AND status = 'OPEN' RETURNING *`,
      [id],
    )) as [Raw[], number];
    return rows[0] ? toBreak(rows[0]) : null;
  }

  async markCommandSent(id: string): Promise<void> {
    await this.db.query(`UPDATE break SET command_sent_at = now() WHERE id = $1`, [id]);
  }

  async markFollowUpSent(id: string, command: FollowUpCommand, commandId: string): Promise<void> {
    await this.db.query(
      `UPDATE break SET follow_up_command = $2, follow_up_command_id = $3, follow_up_sent_at = now() WHERE id = $1`,
      [id, command, commandId],
    );
  }

  async breaks(filter: { status?: 'OPEN' | 'RESOLVED'; kind?: string; destination?: string; limit?: number }): Promise<BreakRow[]> {
    const rows = (await this.db.query(
      `SELECT * FROM break
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR destination = $3)
       ORDER BY id DESC LIMIT $4`,
      [filter.status ?? null, filter.kind ?? null, filter.destination ?? null, filter.limit ?? 500],
    )) as Raw[];
    return rows.map(toBreak);
  }

  async openBreaks(): Promise<BreakRow[]> {
    const rows = (await this.db.query(`SELECT * FROM break WHERE status = 'OPEN' ORDER BY id`)) as Raw[];
    return rows.map(toBreak);
  }

  async raiseAlert(c: AlertCondition): Promise<AlertRow | null> {
    const rows = (await this.db.query(
      `INSERT INTO alert (key, kind, context) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (key) WHERE status = 'OPEN' DO NOTHING RETURNING *`,
      [c.key, c.kind, JSON.stringify(c.context)],
    )) as Raw[];
    return rows[0] ? toAlert(rows[0]) : null;
  }

  async clearAlert(key: string): Promise<AlertRow | null> {
    const [rows] = (await this.db.query(
      `UPDATE alert SET status = 'RESOLVED', resolved_at = now() WHERE key = $1 AND status = 'OPEN' RETURNING *`,
      [key],
    )) as [Raw[], number];
    return rows[0] ? toAlert(rows[0]) : null;
  }

  async alerts(filter: { status?: 'OPEN' | 'RESOLVED'; key?: string }): Promise<AlertRow[]> {
    const rows = (await this.db.query(
      `SELECT * FROM alert WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR key = $2) ORDER BY id DESC LIMIT 500`,
      [filter.status ?? null, filter.key ?? null],
    )) as Raw[];
    return rows.map(toAlert);
  }
}

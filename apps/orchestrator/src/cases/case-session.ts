import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { auditMessage, buildAuditEvent, type AuditInput } from '@closeout/audit';
import { Topics, type CaseStatus } from '@closeout/contracts';
import { outboxInsertSql, outboxRowsParam, type OutboxMessage } from '@closeout/outbox';
import { withDbSpan } from '@closeout/telemetry';
import type {
  ExceptionKind,
  ExceptionPath,
  OptionalExceptionKind,
  WorkflowDefinition,
} from '@closeout/workflow-domain';
import { assertTransition } from '../domain/case-status';
import { toCaseRecord, type CaseRecord, type CaseRow, type CaseWritebackRow } from './case-record';

export const SERVICE = 'orchestrator';
// Unqualified: the connection's search_path is the service's schema.
const OUTBOX = 'outbox';

export type TimerKind = 'REMINDER' | 'EXPIRY' | 'WRITEBACK_SLO' | 'ESCALATION';

export interface TimerSpec {
  timerId: string;
  kind: TimerKind;
  dueAt: number;
  payload?: Record<string, unknown>;
  /**
   * Scheduling again moves an unfired, uncancelled timer of this id to `dueAt` if that is sooner (a receipt that
   * brings a reminder forward); without it, scheduling an existing id is a no-op.
   */
  earliest?: boolean;
}

export interface ExceptionSpec {
  kind: ExceptionKind | OptionalExceptionKind | 'RECONCILIATION_BREAK';
  summary: string;
  /** What happened, what was tried, what the customer did, and references into the audit trail. */
  context: Record<string, unknown>;
  /** Overrides the definition's queue (e.g. a retry policy's correction route). */
  queue?: string;
}

interface TimelineEntry {
  kind: string;
  detail: Record<string, unknown>;
  ruleId: string | null;
  auditEventId: string | null;
}

/** What caused the work in hand: the incoming event, the timer or the agent request. */
export interface Cause {
  id: string;
  actor: AuditInput['actor'];
}

/**
 * One case under its row lock for one transaction: the use cases decide, the session records. Every state change
 * writes the row, a timeline entry, a case.state.v1 message and an audit event; every message goes to the outbox in
 * the same transaction, so a decision and its messages commit together or not at all.
 */
export class CaseSession {
  private readonly timeline: TimelineEntry[] = [];
  private readonly messages: OutboxMessage[] = [];
  private readonly timers: TimerSpec[] = [];
  private readonly cancelled = new Set<TimerKind>();
  private readonly exceptions: ExceptionSpec[] = [];
  private dirty = false;
  private primed: CaseWritebackRow[] | undefined;

  constructor(
    readonly tx: EntityManager,
    readonly record: CaseRecord,
    readonly definition: WorkflowDefinition,
    readonly cause: Cause,
  ) {}

  /** Locks the case row (FOR UPDATE): events of one case from several topics and timers are applied one at a time. */
  static async lock(tx: EntityManager, caseId: string): Promise<CaseRecord | undefined> {
    const rows: CaseRow[] = await withDbSpan(lockSpan(caseId), () =>
      tx.query(`SELECT * FROM cases WHERE case_id = $1 FOR UPDATE`, [caseId]),
    );
    return rows[0] ? toCaseRecord(rows[0]) : undefined;
  }

  /**
   * The inbox and the row lock in one round trip: records that `consumer` handled `eventId` and locks the case.
   * `first` is false for a redelivery. No row means no such case; the caller throws, which also rolls the inbox back.
   */
  static async lockOnFirstDelivery(
    tx: EntityManager,
    consumer: string,
    eventId: string,
    caseId: string,
  ): Promise<{ first: boolean; record: CaseRecord } | undefined> {
    const rows: (CaseRow & { first: number })[] = await withDbSpan(lockSpan(caseId), () =>
      tx.query(
        `WITH inbox AS (INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
         SELECT c.*, (SELECT count(*) FROM inbox)::int AS first FROM cases c WHERE c.case_id = $3 FOR UPDATE`,
        [consumer, eventId, caseId],
      ),
    );
    const row = rows[0];
    return row ? { first: row.first > 0, record: toCaseRecord(row) } : undefined;
  }

  get state(): CaseStatus {
    return this.record.state;
  }

  get caseId(): string {
    return this.record.caseId;
  }

  transition(to: CaseStatus, reason: string, ruleId: string | null = null): void {
    const from = this.record.state;
    assertTransition(from, to);
    this.record.state = to;
    this.dirty = true;
    this.publish({
      topic: Topics.caseState,
      key: { caseId: this.caseId },
      value: {
        eventId: `cst_${this.caseId}_${randomUUID()}`,
        occurredAt: Date.now(),
        correlationId: this.record.correlationId,
        causationId: this.cause.id,
        caseId: this.caseId,
        workflowId: this.record.workflowId,
        definitionVersion: this.record.definitionVersion,
        state: to,
        previousState: from,
        reason,
        requiredWritebacks: [],
        appliedWritebacks: [],
      },
      headers: { correlationId: this.record.correlationId, causationId: this.cause.id },
    });
    this.note(`case.${to.toLowerCase()}`, { from, to, reason }, { ruleId, outcome: 'SUCCESS', reason });
  }

  /** Sets the writeback keys on the last case.state message of this session (the reconciler checks completion with them). */
  stateWritebacks(required: string[], applied: string[]): void {
    for (let i = this.messages.length - 1; i >= 0; i -= 1) {
      const m = this.messages[i]!;
      if (m.topic === Topics.caseState) {
        m.value.requiredWritebacks = required;
        m.value.appliedWritebacks = applied;
        return;
      }
    }
  }

  /**
   * A timeline entry, audited: the rule and definition version that decided it go into the audit event, so an
   * auditor can replay the decision.
   */
  note(
    kind: string,
    detail: Record<string, unknown>,
    audit: {
      ruleId?: string | null;
      outcome: AuditInput['outcome'];
      reason: string;
      references?: Record<string, string>;
      versions?: Record<string, string>;
    },
  ): void {
    const ruleId = audit.ruleId ?? null;
    const event = buildAuditEvent(SERVICE, {
      actor: this.cause.actor,
      action: kind,
      outcome: audit.outcome,
      reason: audit.reason,
      correlationId: this.record.correlationId,
      causationId: this.cause.id,
      caseId: this.caseId,
      versions: {
        definition: `${this.record.workflowId}@v${this.record.definitionVersion}`,
        definitionVersion: this.record.definitionVersion,
        ...(this.record.facts.trigger.mappingVersion
          ? { triggerMapping: this.record.facts.trigger.mappingVersion }
          : {}),
        ...audit.versions,
      },
      references: {
        sourceEventId: this.record.sourceEventId,
        ...(this.record.facts.trigger.payloadRef ? { payloadRef: this.record.facts.trigger.payloadRef } : {}),
        ...(ruleId ? { ruleId } : {}),
        ...audit.references,
      },
    });
    // Written with the session's other messages, in the transaction that records the decision.
    this.messages.push(auditMessage(event));
    this.timeline.push({ kind, detail, ruleId, auditEventId: event.eventId });
  }

  publish(message: OutboxMessage): void {
    this.messages.push(message);
  }

  /** One spec per timer id per session: a second one for the same id keeps the sooner due time. */
  schedule(timer: TimerSpec): void {
    const i = this.timers.findIndex((t) => t.timerId === timer.timerId);
    if (i < 0) {
      this.timers.push(timer);
      return;
    }
    const before = this.timers[i]!;
    this.timers[i] = {
      ...before,
      dueAt: Math.min(before.dueAt, timer.dueAt),
      earliest: Boolean(before.earliest || timer.earliest),
    };
  }

  cancelTimers(...kinds: TimerKind[]): void {
    for (const k of kinds) this.cancelled.add(k);
  }

  openException(spec: ExceptionSpec): void {
    this.exceptions.push(spec);
  }

  markDirty(): void {
    this.dirty = true;
  }

  /**
   * The case's live writebacks as a statement of this session just returned them (in the order writebacks() reads
   * them): the next writebacks() answers with these instead of reading them again.
   */
  primeWritebacks(rows: CaseWritebackRow[]): void {
    this.primed = rows;
  }

  async writebacks(): Promise<CaseWritebackRow[]> {
    const primed = this.primed;
    this.primed = undefined;
    if (primed) return primed;
    return this.tx.query(
      `SELECT * FROM case_writeback WHERE case_id = $1 AND NOT superseded ORDER BY requested_at, writeback_id`,
      [this.caseId],
    );
  }

  /** Writes everything the use case decided, in the caller's transaction. */
  /**
   * Writes everything the use case decided, in the caller's transaction, as one statement: the case row, cancelled
   * and new timers, the timeline and the outbox are CTEs of it (one round trip, not five). Exceptions go first,
   * since opening one adds its own audit to the timeline and the outbox.
   */
  async save(): Promise<void> {
    const r = this.record;
    for (const e of this.exceptions) await this.insertException(e);
    // Each message with the trace context of the decision (outboxRowsParam), taken before the statement's span starts.
    const outbox = outboxRowsParam(this.messages);
    // One statement for the case's whole decision: `save cases` in the case's trace (the message's, in a batch).
    const span = {
      operation: 'save',
      collection: 'cases',
      attributes: { 'closeout.case_id': r.caseId, 'closeout.workflow_id': r.workflowId },
    };
    await withDbSpan(span, () => this.saveStatement(outbox));
  }

  private async saveStatement(outbox: string): Promise<void> {
    const r = this.record;
    await this.tx.query(
      `WITH upd AS (
         UPDATE cases SET state = $3, offered_actions = $4, chosen_action = $5, retry_round = $6, outreach_attempts = $7,
           outreach_progress = $14::jsonb,
           completed_at = CASE WHEN $3 = 'COMPLETED' THEN now() ELSE completed_at END, updated_at = now()
         WHERE case_id = $1 AND $2::boolean RETURNING 1),
       cancel AS (
         UPDATE case_timer SET cancelled_at = now()
         WHERE case_id = $1 AND kind = ANY ($8::text[]) AND fired_at IS NULL AND cancelled_at IS NULL RETURNING 1),
       tmr AS (
         INSERT INTO case_timer (timer_id, case_id, kind, due_at, payload)
         SELECT t->>'timerId', $1, t->>'kind', to_timestamp((t->>'dueAt')::double precision / 1000), t->'payload'
         FROM jsonb_array_elements($9::jsonb) AS t WHERE NOT coalesce((t->>'earliest')::boolean, false)
         ON CONFLICT (timer_id) DO NOTHING RETURNING 1),
       tmr_earliest AS (
         INSERT INTO case_timer AS ct (timer_id, case_id, kind, due_at, payload)
         SELECT t->>'timerId', $1, t->>'kind', to_timestamp((t->>'dueAt')::double precision / 1000), t->'payload'
         FROM jsonb_array_elements($9::jsonb) AS t WHERE coalesce((t->>'earliest')::boolean, false)
         ON CONFLICT (timer_id) DO UPDATE SET due_at = LEAST(ct.due_at, EXCLUDED.due_at)
         WHERE ct.fired_at IS NULL AND ct.cancelled_at IS NULL RETURNING 1),
       tl AS (
         INSERT INTO case_event (case_id, kind, detail, rule_id, definition_version, causation_id, audit_event_id)
         SELECT $1, e->>'kind', e->'detail', e->>'ruleId', $10, $11, e->>'auditEventId'
         FROM jsonb_array_elements($12::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n RETURNING 1),
       ob AS (${outboxInsertSql(OUTBOX, 13)} RETURNING 1)
       SELECT (SELECT count(*) FROM upd) AS updated, (SELECT count(*) FROM ob) AS published`,
      [
        r.caseId,
        this.dirty,
        r.state,
        JSON.stringify(r.offeredActions),
        r.chosenAction ? JSON.stringify(r.chosenAction) : null,
        r.retryRound,
        r.outreachAttempts,
        [...this.cancelled],
        JSON.stringify(this.timers.map((t) => ({ ...t, payload: t.payload ?? {} }))),
        r.definitionVersion,
        this.cause.id,
        JSON.stringify(this.timeline),
        outbox,
        JSON.stringify(r.outreachProgress),
      ],
    );
  }

  private async insertException(e: ExceptionSpec): Promise<void> {
    const path = exceptionPath(this.definition, e.kind);
    const exceptionId = `exc_${randomUUID()}`;
    const inserted: unknown[] = await this.tx.query(
      `INSERT INTO exception_item (exception_id, case_id, kind, queue, priority, summary, context)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (case_id, kind) WHERE status = 'OPEN' DO NOTHING RETURNING exception_id`,
      [
        exceptionId,
        this.caseId,
        e.kind,
        e.queue ?? path.queue,
        path.priority,
        e.summary,
        JSON.stringify({
          ...e.context,
          guidance: path.guidance,
          definition: `${this.record.workflowId}@v${this.record.definitionVersion}`,
        }),
      ],
    );
    if (inserted.length > 0) {
      // save() writes the timeline and the outbox after the exceptions, so the audit of this one goes with them.
      this.note(
        'exception.opened',
        { exceptionId, kind: e.kind, summary: e.summary },
        {
          outcome: 'PENDING',
          reason: e.summary,
          references: { exceptionId, queue: e.queue ?? path.queue, kind: e.kind },
        },
      );
    }
  }
}

/** The case row's lock (with the inbox's insert when there is one): `lock cases` in the case's trace. */
function lockSpan(caseId: string) {
  return { operation: 'lock', collection: 'cases', attributes: { 'closeout.case_id': caseId } };
}

/**
 * The queue, priority and guidance of an exception kind. A reconciliation break goes where failed writebacks go.
 * Kinds added after definitions were first written fall back when a definition does not name them: UNREACHABLE to
 * its EXPIRED queue and priority (the customer did not get to act either way), VERIFICATION_FAILED to its DECLINED
 * queue (the customer's own servicing queue) at high priority; each with guidance of its own.
 */
export function exceptionPath(definition: WorkflowDefinition, kind: ExceptionSpec['kind']): ExceptionPath {
  switch (kind) {
    case 'RECONCILIATION_BREAK':
      return definition.exceptions.WRITEBACK_FAILED;
    case 'UNREACHABLE':
      return (
        definition.exceptions.UNREACHABLE ?? {
          ...definition.exceptions.EXPIRED,
          guidance:
            'Messaging could not reach the customer (every attempt failed, or no consent or contact point to send on; the case shows which). Get consent or a working contact point, then hand the case back.',
        }
      );
    case 'VERIFICATION_FAILED':
      return (
        definition.exceptions.VERIFICATION_FAILED ?? {
          queue: definition.exceptions.DECLINED.queue,
          priority: 'high',
          guidance:
            'The customer used up their tries at the identity check in the mini-app. Call them on the number on file and verify them by phone; never read a one-time code or a known fact back to them.',
        }
      );
    case 'DECLINED':
    case 'INELIGIBLE':
    case 'EXPIRED':
    case 'OPTED_OUT':
    case 'WRITEBACK_FAILED':
    case 'DESTINATION_DEGRADED':
      return definition.exceptions[kind];
    default:
      return assertUnreachable(kind);
  }
}

function assertUnreachable(kind: never): never {
  throw new Error(`unhandled exception kind ${String(kind)}`);
}

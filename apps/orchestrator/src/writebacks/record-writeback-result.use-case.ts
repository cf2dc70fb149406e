import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { WritebackErrorClass, WritebackResult } from '@closeout/contracts';
import { assertUnreachable } from '@closeout/writeback-domain';
import { toCaseRecord, type CaseRow, type CaseWritebackRow } from '../cases/case-record';
import { CaseSession, SERVICE } from '../cases/case-session';
import { WorkflowCatalog } from '../workflows/workflow-catalog';
import { completeIfAllApplied } from './completion';

export type ResultOutcome = 'applied' | 'completed' | 'failed' | 'progress' | 'ignored' | 'duplicate';

/**
 * Applies a writeback.result to the case that asked for it. Statuses only move forward (an applied writeback stays
 * applied whatever arrives later); the case completes when the last required writeback is applied; a permanent
 * failure goes to the exception queue with the route the workflow's retry policy gives its error class.
 */
@Injectable()
export class RecordWritebackResultUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(result: WritebackResult, now = Date.now()): Promise<ResultOutcome> {
    return this.db.transaction((tx) => this.executeIn(tx, result, now));
  }

  /** The same in the caller's transaction: a partition batch shares one (see case-batch.ts). */
  async executeIn(tx: EntityManager, result: WritebackResult, now = Date.now()): Promise<ResultOutcome> {
    // The inbox, the case that asked for this writeback and its row lock, in one round trip. Every writer of a
    // case's writebacks holds the case's lock first, so the writeback row needs no lock of its own.
    const found: (CaseRow & { first: number })[] = await tx.query(
      `WITH inbox AS (INSERT INTO processed_event (consumer, event_id) VALUES ('writeback-result', $1) ON CONFLICT DO NOTHING RETURNING 1)
       SELECT c.*, (SELECT count(*) FROM inbox)::int AS first
       FROM cases c WHERE c.case_id = (SELECT case_id FROM case_writeback WHERE destination = $2 AND idempotency_key = $3)
       FOR UPDATE`,
      [result.eventId, result.destination, result.idempotencyKey],
    );
    // Writebacks another service requested (a tool, an operator) are not ours to track.
    if (found.length === 0) return 'ignored';
    if (found[0]!.first === 0) return 'duplicate';
    const record = toCaseRecord(found[0]!);
    const definition = this.catalog.get(record.workflowId, record.definitionVersion);
    const session = new CaseSession(tx, record, definition, {
      id: result.eventId,
      actor: { type: 'SERVICE', id: SERVICE },
    });
    // The writeback as it stood, its move (only forward: never from APPLIED, never a superseded one), and the case's
    // live writebacks as they stand after it, in one round trip; completion reads those rather than asking again.
    const rows: (CaseWritebackRow & { part: 'target' | 'case' })[] = await tx.query(
      `WITH target AS (
         SELECT * FROM case_writeback WHERE destination = $1 AND idempotency_key = $2),
       upd AS (
         UPDATE case_writeback w SET status = $3, error_class = $4, error_message = $5,
           provider_ref = coalesce($6, w.provider_ref), attempts = greatest(w.attempts, $7), updated_at = now(),
           applied_at = CASE WHEN $3 = 'APPLIED' THEN now() ELSE w.applied_at END
         FROM target t
         WHERE w.destination = t.destination AND w.idempotency_key = t.idempotency_key
           AND t.status <> 'APPLIED' AND NOT t.superseded
         RETURNING w.*)
       SELECT 'target' AS part, t.* FROM target t
       UNION ALL
       SELECT 'case', u.* FROM upd u WHERE NOT u.superseded
       UNION ALL
       SELECT 'case', c.* FROM case_writeback c
       WHERE c.case_id = (SELECT case_id FROM target) AND NOT c.superseded
         AND NOT (c.destination = $1 AND c.idempotency_key = $2)
       ORDER BY part DESC, requested_at, writeback_id`,
      [
        result.destination,
        result.idempotencyKey,
        result.status,
        result.errorClass,
        result.errorMessage,
        result.providerRef,
        result.attempts,
      ],
    );
    const target = rows.find((r) => r.part === 'target');
    if (!target || target.status === 'APPLIED' || target.superseded) return 'ignored';
    const row: CaseWritebackRow = target;
    session.primeWritebacks(rows.filter((r) => r.part === 'case'));
    const outcome = await this.apply(session, row, result, now);
    await session.save();
    return outcome;
  }

  private async apply(
    session: CaseSession,
    row: CaseWritebackRow,
    result: WritebackResult,
    now: number,
  ): Promise<ResultOutcome> {
    const { definition, record } = session;
    const references = {
      idempotencyKey: result.idempotencyKey,
      ...(result.providerRef ? { providerRef: result.providerRef } : {}),
    };
    const versions = { contractVersion: result.contractVersion, mappingVersion: result.mappingVersion };
    const status = result.status;
    switch (status) {
      case 'APPLIED': {
        session.note(
          'writeback.applied',
          {
            writebackId: row.writeback_id,
            destination: result.destination,
            providerRef: result.providerRef,
            attempts: result.attempts,
            latencyMs: Number(result.latencyMs),
          },
          {
            outcome: 'SUCCESS',
            reason: `${result.operation} applied at ${result.destination} after ${result.attempts} attempt(s)`,
            references,
            versions,
          },
        );
        return (await completeIfAllApplied(session)) ? 'completed' : 'applied';
      }
      case 'FAILED_PERMANENT':
      case 'REJECTED_CONFLICT': {
        const errorClass: WritebackErrorClass =
          result.errorClass ?? (status === 'REJECTED_CONFLICT' ? 'CONFLICT' : 'VALIDATION');
        const rule = definition.retryPolicy?.[errorClass];
        const reason = `${result.operation} to ${result.destination} failed permanently (${errorClass}): ${result.errorMessage ?? 'no detail'}`;
        session.note(
          'writeback.failed',
          {
            writebackId: row.writeback_id,
            errorClass,
            errorMessage: result.errorMessage,
            attempts: result.attempts,
            route: rule?.route ?? 'operations',
          },
          {
            outcome: 'FAILURE',
            ruleId: `${definition.id}@v${definition.version}/retryPolicy/${errorClass}`,
            reason,
            references,
            versions,
          },
        );
        if (!row.required) return 'failed';
        if (session.state === 'AWAITING_WRITEBACK')
          session.transition(
            'EXCEPTION',
            reason,
            `${definition.id}@v${definition.version}/retryPolicy/${errorClass}`,
          );
        session.openException({
          kind: 'WRITEBACK_FAILED',
          summary: reason,
          context: {
            whatHappened: reason,
            route: rule?.route ?? 'operations',
            whatWasTried: {
              destination: result.destination,
              protocol: result.protocol,
              operation: result.operation,
              attempts: result.attempts,
              errorClass,
              errorMessage: result.errorMessage,
              idempotencyKey: result.idempotencyKey,
            },
            customerDid: record.chosenAction
              ? {
                  actionId: record.chosenAction.actionId,
                  action: record.chosenAction.action,
                  identityMethod: record.chosenAction.identityMethod,
                  consentRef: record.chosenAction.consentRef,
                  at: record.chosenAction.receivedAt,
                }
              : null,
            audit: {
              correlationId: record.correlationId,
              writebackResultEventId: result.eventId,
              idempotencyKey: result.idempotencyKey,
            },
          },
        });
        return 'failed';
      }
      case 'UNKNOWN':
      case 'FAILED_RETRYABLE':
      case 'PENDING':
      case 'IN_FLIGHT':
      case 'COMPENSATED': {
        const errorClass = result.errorClass;
        session.note(
          result.destinationDegraded ? 'destination.degraded' : 'writeback.progress',
          { writebackId: row.writeback_id, status, errorClass, attempts: result.attempts },
          {
            outcome: 'PENDING',
            reason: `${result.operation} at ${result.destination} is ${status}${errorClass ? ` (${errorClass})` : ''}`,
            references,
            versions,
          },
        );
        const escalateAfter = errorClass ? definition.retryPolicy?.[errorClass]?.escalateAfter : undefined;
        if (escalateAfter) {
          session.schedule({
            timerId: `tmr_${record.caseId}_esc_${result.idempotencyKey}_${errorClass}_${record.retryRound}`,
            kind: 'ESCALATION',
            dueAt: now + escalateAfter.ms,
            payload: { destination: result.destination, idempotencyKey: result.idempotencyKey, errorClass },
          });
        }
        return 'progress';
      }
      default:
        return assertUnreachable(status, 'writeback status');
    }
  }
}

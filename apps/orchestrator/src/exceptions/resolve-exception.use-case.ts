import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DomainError, type DomainErrorStatuses } from '@closeout/errors';
import { assertUnreachable, canonicalJson, CONTRACT_VERSION } from '@closeout/writeback-domain';
import { CaseSession } from '../cases/case-session';
import { isTerminal } from '../domain/case-status';
import { startOutreach } from '../outreach/request-outreach';
import { WorkflowCatalog } from '../workflows/workflow-catalog';
import {
  buildWritebacksOf,
  publishWritebackRequest,
  requestWritebacks,
} from '../writebacks/request-writebacks';

export const RESOLUTIONS = ['retry', 'close', 'hand_back'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export type ResolveErrorCode =
  'EXCEPTION_NOT_FOUND' | 'EXCEPTION_ALREADY_RESOLVED' | 'RESOLUTION_NOT_ALLOWED';

/** Why an exception cannot be resolved as asked, naming the request field at fault; the rule never quotes input. */
export class ResolveExceptionError extends DomainError<ResolveErrorCode> {
  constructor(code: ResolveErrorCode, field: 'exceptionId' | 'resolution', rule: string) {
    super(code, rule, { field });
  }
}

/** How the case API answers each ResolveExceptionError (registered with the HTTP layer in the AppModule). */
export const RESOLVE_ERROR_STATUSES: DomainErrorStatuses<ResolveErrorCode> = {
  EXCEPTION_NOT_FOUND: { status: 404, title: 'The exception cannot be resolved this way' },
  EXCEPTION_ALREADY_RESOLVED: { status: 409, title: 'The exception cannot be resolved this way' },
  RESOLUTION_NOT_ALLOWED: { status: 409, title: 'The exception cannot be resolved this way' },
};

export interface ResolveCommand {
  exceptionId: string;
  resolution: Resolution;
  agentId: string;
  note: string;
  /** The tool the agent acted through when it is not the agent's own token (e.g. `ops-console`), recorded with them. */
  via?: string | undefined;
}

/** Which resolutions make sense for which exception: a retry re-asks the cores, a hand-back asks the customer again. */
const ALLOWED: Record<string, readonly Resolution[]> = {
  WRITEBACK_FAILED: ['retry', 'hand_back', 'close'],
  DESTINATION_DEGRADED: ['retry', 'close'],
  RECONCILIATION_BREAK: ['retry', 'close'],
  DECLINED: ['hand_back', 'close'],
  EXPIRED: ['hand_back', 'close'],
  INELIGIBLE: ['close'],
  // Consent is gone: no one may message the customer again from this case.
  OPTED_OUT: ['close'],
  // Once an agent has consent or a working contact point, the customer can be asked again.
  UNREACHABLE: ['hand_back', 'close'],
  // Once an agent has verified the customer by phone, they can be asked again (a new link), or the agent closes it.
  VERIFICATION_FAILED: ['hand_back', 'close'],
};

/** The resolutions an agent may choose for an exception of this kind (what the case and exception API lists). */
export function allowedResolutions(kind: string): readonly Resolution[] {
  return ALLOWED[kind] ?? ['close'];
}

interface ExceptionRow {
  exception_id: string;
  case_id: string;
  kind: string;
  status: string;
}

/**
 * An agent resolves an exception: retry the writebacks (a permanently failed one under a new idempotency key for the
 * corrected business action, an unresolved one under its own key, which the ledger de-duplicates), hand the case back
 * to the customer with a new outreach, or close it. Audited with the agent as actor.
 */
@Injectable()
export class ResolveExceptionUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(command: ResolveCommand, now = Date.now()): Promise<{ caseId: string; state: string }> {
    return this.db.transaction(async (tx) => {
      const hint: ExceptionRow[] = await tx.query(
        `SELECT exception_id, case_id, kind, status FROM exception_item WHERE exception_id = $1`,
        [command.exceptionId],
      );
      if (!hint[0])
        throw new ResolveExceptionError('EXCEPTION_NOT_FOUND', 'exceptionId', 'no exception has this id');
      const record = await CaseSession.lock(tx, hint[0].case_id);
      const rows: ExceptionRow[] = await tx.query(
        `SELECT exception_id, case_id, kind, status FROM exception_item WHERE exception_id = $1 FOR UPDATE`,
        [command.exceptionId],
      );
      const exception = rows[0]!;
      if (exception.status !== 'OPEN' || !record) {
        throw new ResolveExceptionError(
          'EXCEPTION_ALREADY_RESOLVED',
          'exceptionId',
          'the exception is already resolved',
        );
      }
      const allowed = allowedResolutions(exception.kind);
      if (!allowed.includes(command.resolution)) {
        throw new ResolveExceptionError(
          'RESOLUTION_NOT_ALLOWED',
          'resolution',
          `must be one of ${allowed.join(', ')} for a ${exception.kind} exception`,
        );
      }
      const definition = this.catalog.get(record.workflowId, record.definitionVersion);
      const session = new CaseSession(tx, record, definition, {
        id: `agent:${command.agentId}:${command.exceptionId}`,
        actor: { type: 'AGENT', id: command.agentId },
      });
      await this.apply(session, command, now);
      await tx.query(
        `UPDATE exception_item SET status = 'RESOLVED', resolved_at = now(), resolution = $2 WHERE exception_id = $1`,
        [
          command.exceptionId,
          JSON.stringify({
            resolution: command.resolution,
            by: command.agentId,
            ...(command.via ? { via: command.via } : {}),
            note: command.note,
            at: new Date(now).toISOString(),
          }),
        ],
      );
      session.note(
        'exception.resolved',
        {
          exceptionId: command.exceptionId,
          kind: exception.kind,
          resolution: command.resolution,
          note: command.note,
          ...(command.via ? { via: command.via } : {}),
        },
        {
          outcome: 'SUCCESS',
          reason: `${command.resolution} by ${command.agentId}${command.via ? ` via ${command.via}` : ''}: ${command.note}`,
          references: { exceptionId: command.exceptionId },
        },
      );
      await session.save();
      return { caseId: record.caseId, state: session.state };
    });
  }

  private async apply(session: CaseSession, command: ResolveCommand, now: number): Promise<void> {
    const { record, definition } = session;
    const resolution = command.resolution;
    switch (resolution) {
      case 'close':
        // A break flagged on a completed case is acknowledged; the case itself stays as it is.
        if (isTerminal(record.state)) return;
        session.transition('CLOSED', `closed by ${command.agentId}: ${command.note}`);
        session.cancelTimers('REMINDER', 'EXPIRY', 'WRITEBACK_SLO', 'ESCALATION');
        return;
      case 'hand_back': {
        // A new round: whatever the customer chooses now is a new business action with keys of its own, and the
        // writebacks that did not land are superseded (they were never applied, so nothing is undone).
        const rows = await session.writebacks();
        if (rows.some((w) => w.status === 'APPLIED')) {
          throw new ResolveExceptionError(
            'RESOLUTION_NOT_ALLOWED',
            'resolution',
            'hand_back would let the customer act again although part of the action is already applied; retry the rest instead',
          );
        }
        record.retryRound += 1;
        record.chosenAction = null;
        await session.tx.query(
          `UPDATE case_writeback SET superseded = true, updated_at = now() WHERE case_id = $1 AND status <> 'APPLIED'`,
          [record.caseId],
        );
        session.transition(
          'AWAITING_CUSTOMER',
          `handed back to the customer by ${command.agentId}: ${command.note}`,
        );
        startOutreach(session, now);
        return;
      }
      case 'retry': {
        const chosen = record.chosenAction;
        const spec = chosen ? definition.actions.find((a) => a.id === chosen.actionId) : undefined;
        if (isTerminal(record.state))
          throw new ResolveExceptionError(
            'RESOLUTION_NOT_ALLOWED',
            'resolution',
            `retry is not possible on a ${record.state} case; close the exception and correct the core by hand`,
          );
        if (!chosen || !spec)
          throw new ResolveExceptionError(
            'RESOLUTION_NOT_ALLOWED',
            'resolution',
            'retry needs a customer action with writebacks, and this case has none',
          );
        record.retryRound += 1;
        const round = record.retryRound;
        const rows = await session.writebacks();
        const failed = rows.filter(
          (w) => w.status === 'FAILED_PERMANENT' || w.status === 'REJECTED_CONFLICT',
        );
        const outstanding = rows.filter((w) => w.status !== 'APPLIED' && !failed.includes(w));
        session.transition('AWAITING_WRITEBACK', `retry by ${command.agentId}: ${command.note}`);
        if (failed.length > 0) {
          await session.tx.query(
            `UPDATE case_writeback SET superseded = true, updated_at = now() WHERE case_id = $1 AND idempotency_key = ANY ($2::text[])`,
            [record.caseId, failed.map((w) => w.idempotency_key)],
          );
          const again = buildWritebacksOf(session, spec, chosen, round).filter((b) =>
            failed.some((f) => f.writeback_id === b.writebackId),
          );
          await requestWritebacks(session, again, chosen, round, now);
        }
        for (const w of outstanding) {
          publishWritebackRequest(
            session,
            {
              destination: w.destination,
              protocol: w.protocol,
              operation: w.operation as never,
              mappingVersion: w.mapping_version,
              contractVersion: CONTRACT_VERSION,
              payloadJson: canonicalJson(w.payload),
              idempotencyKey: w.idempotency_key,
              writebackId: w.writeback_id,
            },
            chosen.consentRef,
            now,
            `wrq_${w.idempotency_key}_${round}`,
          );
        }
        session.schedule({
          timerId: `tmr_${record.caseId}_slo_${round}`,
          kind: 'WRITEBACK_SLO',
          dueAt: now + definition.slo.writebackLatencyCeiling.ms,
          payload: { round },
        });
        return;
      }
      default:
        assertUnreachable(resolution, 'resolution');
    }
  }
}

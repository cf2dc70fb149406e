import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { assertUnreachable } from '@closeout/writeback-domain';
import { CaseSession, SERVICE, type TimerKind } from '../cases/case-session';
import { awaitsCustomer } from '../domain/case-status';
import { requestOutreach } from '../outreach/request-outreach';
import { WorkflowCatalog } from '../workflows/workflow-catalog';

export interface DueTimer {
  timer_id: string;
  case_id: string;
  kind: TimerKind;
  payload: Record<string, unknown>;
}

/**
 * Fires one due timer exactly once: the case row is locked first (the order every handler locks in, so no deadlock),
 * then the timer is taken only if still unfired and uncancelled, and its effect and `fired_at` commit together. A
 * crash before the commit leaves the timer due; a commit means it never fires again.
 */
@Injectable()
export class FireTimerUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  /** Timers due now, oldest first; a hint, each is re-checked under lock when fired. */
  async due(limit: number): Promise<{ timer_id: string; case_id: string }[]> {
    return this.db.query(
      `SELECT timer_id, case_id FROM case_timer WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT $1`,
      [limit],
    );
  }

  async fire(timerId: string, caseId: string, now = Date.now()): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const record = await CaseSession.lock(tx, caseId);
      if (!record) return false;
      const timers: DueTimer[] = await tx.query(
        `SELECT timer_id, case_id, kind, payload FROM case_timer
         WHERE timer_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= now() FOR UPDATE SKIP LOCKED`,
        [timerId],
      );
      const timer = timers[0];
      if (!timer) return false;
      const definition = this.catalog.get(record.workflowId, record.definitionVersion);
      const session = new CaseSession(tx, record, definition, {
        id: timer.timer_id,
        actor: { type: 'SERVICE', id: SERVICE },
      });
      await this.effect(session, timer, now);
      await tx.query(`UPDATE case_timer SET fired_at = now() WHERE timer_id = $1 AND fired_at IS NULL`, [
        timer.timer_id,
      ]);
      session.note(
        'timer.fired',
        { timerId: timer.timer_id, kind: timer.kind },
        { outcome: 'SUCCESS', reason: `${timer.kind} timer due`, references: { timerId: timer.timer_id } },
      );
      await session.save();
      return true;
    });
  }

  private async effect(session: CaseSession, timer: DueTimer, now: number): Promise<void> {
    const { record, definition } = session;
    const kind = timer.kind;
    switch (kind) {
      case 'REMINDER':
        if (awaitsCustomer(record.state)) requestOutreach(session, Number(timer.payload['attempt']), now);
        return;
      case 'EXPIRY': {
        if (!awaitsCustomer(record.state)) return;
        const reason = `the customer did not act within ${definition.outreach.expiry.iso}`;
        session.transition('EXPIRED', reason, `${definition.id}@v${definition.version}/outreach/expiry`);
        session.cancelTimers('REMINDER');
        session.openException({
          kind: 'EXPIRED',
          summary: reason,
          context: {
            whatHappened: reason,
            whatWasTried: {
              outreachAttempts: record.outreachAttempts,
              channels: definition.outreach.channels,
            },
            customerDid: null,
            audit: { correlationId: record.correlationId, timerId: timer.timer_id },
          },
        });
        return;
      }
      case 'WRITEBACK_SLO':
      case 'ESCALATION': {
        if (record.state !== 'AWAITING_WRITEBACK') return;
        const pending = (await session.writebacks()).filter((w) => w.required && w.status !== 'APPLIED');
        if (kind === 'ESCALATION') {
          const key = String(timer.payload['idempotencyKey']);
          if (!pending.some((w) => w.idempotency_key === key)) return;
        }
        if (pending.length === 0) return;
        const reason =
          kind === 'WRITEBACK_SLO'
            ? `writebacks not applied within the SLO ceiling ${definition.slo.writebackLatencyCeiling.iso}: ${pending.map((w) => `${w.destination} ${w.status}`).join(', ')}`
            : `writeback to ${String(timer.payload['destination'])} still unresolved after the ${String(timer.payload['errorClass'])} escalation window`;
        session.transition(
          'EXCEPTION',
          reason,
          `${definition.id}@v${definition.version}/${kind === 'WRITEBACK_SLO' ? 'slo/writebackLatencyCeiling' : `retryPolicy/${String(timer.payload['errorClass'])}`}`,
        );
        session.openException({
          kind: 'DESTINATION_DEGRADED',
          summary: reason,
          context: {
            whatHappened: reason,
            whatWasTried: pending.map((w) => ({
              destination: w.destination,
              operation: w.operation,
              status: w.status,
              errorClass: w.error_class,
              attempts: w.attempts,
              idempotencyKey: w.idempotency_key,
            })),
            customerDid: record.chosenAction
              ? { actionId: record.chosenAction.actionId, at: record.chosenAction.receivedAt }
              : null,
            audit: { correlationId: record.correlationId, timerId: timer.timer_id },
          },
        });
        return;
      }
      default:
        assertUnreachable(kind, 'timer kind');
    }
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { assertUnreachable } from '@closeout/writeback-domain';
import { CaseSession, SERVICE, type TimerKind } from '../cases/case-session';
import { awaitsCustomer } from '../domain/case-status';
import { attemptProgress, gapBefore, roundOf } from '../outreach/outreach-cadence';
import { requestOutreach } from '../outreach/request-outreach';
import { WorkflowCatalog } from '../workflows/workflow-catalog';

export interface DueTimer {
  timer_id: string;
  case_id: string;
  kind: TimerKind;
  payload: Record<string, unknown>;
}

/** A timer that came due too soon is moved to `dueAt` instead of firing (a REMINDER whose attempt is not due yet). */
interface Rearm {
  dueAt: number;
  why: string;
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
      const rearm = await this.effect(session, timer, now);
      if (rearm) {
        await tx.query(
          `UPDATE case_timer SET due_at = to_timestamp($2::double precision / 1000) WHERE timer_id = $1 AND fired_at IS NULL`,
          [timer.timer_id, rearm.dueAt],
        );
        session.note(
          'timer.rearmed',
          { timerId: timer.timer_id, kind: timer.kind, dueAt: new Date(rearm.dueAt).toISOString() },
          {
            outcome: 'PENDING',
            ruleId: `${session.definition.id}@v${session.definition.version}/outreach/reminders`,
            reason: rearm.why,
            references: { timerId: timer.timer_id },
          },
        );
        await session.save();
        return false;
      }
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

  private async effect(session: CaseSession, timer: DueTimer, now: number): Promise<Rearm | undefined> {
    const { record, definition } = session;
    const kind = timer.kind;
    switch (kind) {
      case 'REMINDER':
        return reminder(session, timer, now);
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

/**
 * A REMINDER for attempt m sends it only after attempt m-1 failed or went unanswered for the cadence's gap:
 * - the customer acted, or the case left the customer's hands: nothing;
 * - attempt m was already requested (brought forward by a failure, or a duplicate timer): nothing, never twice;
 * - attempt m-1 not requested, or requested with no receipt yet (messaging may be holding it for quiet hours): the
 *   reminder waits; it is moved to the round's expiry, and the receipt that makes m-1 count brings it forward;
 * - attempt m-1 sent, delivered or held back by a frequency cap less than the gap ago: moved to that time;
 * - attempt m-1 failed or suppressed, or sent at least the gap ago: attempt m goes out now.
 * A case from before receipts were recorded (no record of attempt m-1) keeps its fixed-delay reminders.
 */
function reminder(session: CaseSession, timer: DueTimer, now: number): Rearm | undefined {
  const { record, definition } = session;
  if (!awaitsCustomer(record.state)) return undefined;
  const attempt = Number(timer.payload['attempt']);
  const rule = `${definition.id}@v${definition.version}/outreach/reminders`;
  if (attempt <= record.outreachAttempts) {
    session.note(
      'reminder.skipped',
      { attempt },
      {
        outcome: 'SUCCESS',
        ruleId: rule,
        reason: `attempt ${attempt} was already requested: not sent again`,
      },
    );
    return undefined;
  }
  const round = roundOf(record, definition);
  const previous = attempt - 1;
  const progress = attemptProgress(record.outreachProgress, previous);
  const hold = (why: string): Rearm => {
    const expiry = round.startedAt + definition.outreach.expiry.ms;
    // Past the expiry the EXPIRY timer ends the case; the reminder must not come due again before it does.
    return { dueAt: expiry > now ? expiry : now + definition.outreach.expiry.ms, why };
  };
  if (previous > record.outreachAttempts)
    return hold(`attempt ${previous} has not been requested: attempt ${attempt} waits for it`);
  if (progress === undefined) {
    requestOutreach(session, attempt, now);
    return undefined;
  }
  switch (progress.status) {
    case 'REQUESTED':
      return hold(
        `attempt ${previous} has no receipt yet (not sent: messaging may be holding it, e.g. for quiet hours); attempt ${attempt} waits for it`,
      );
    case 'FAILED':
    case 'SUPPRESSED':
      requestOutreach(session, attempt, now);
      return undefined;
    case 'SENT':
    case 'DELIVERED':
    case 'HELD': {
      const gap = gapBefore(definition, round, attempt) ?? 0;
      const dueAt = (progress.reachedAt ?? progress.requestedAt) + gap;
      if (dueAt > now)
        return {
          dueAt,
          why: `attempt ${previous} was made at ${new Date(dueAt - gap).toISOString()}: attempt ${attempt} is due the cadence's gap after it`,
        };
      requestOutreach(session, attempt, now);
      return undefined;
    }
    default:
      return assertUnreachable(progress.status, 'attempt status');
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { OutreachEvent } from '@closeout/contracts';
import { assertUnreachable } from '@closeout/writeback-domain';
import type { AttemptProgress } from '../cases/case-record';
import { UnknownOutreachCaseError } from '../cases/case-errors';
import { CaseSession } from '../cases/case-session';
import { awaitsCustomer } from '../domain/case-status';
import { WorkflowCatalog } from '../workflows/workflow-catalog';
import {
  attemptOf,
  attemptProgress,
  roundOf,
  setAttemptProgress,
  suppressionRoute,
} from './outreach-cadence';
import { requestOutreach, scheduleNextReminder } from './request-outreach';

/**
 * Messaging's receipts drive the cadence (the rules are in the README, "Outreach cadence"). Every receipt is noted
 * on the case's timeline; the one for the case's latest attempt, while the customer may still act, also decides:
 * - SENT / DELIVERED: the customer was reached; the reminder for the next attempt is scheduled the cadence's gap
 *   after the first such receipt.
 * - FAILED with a fallbackChannel: one channel failed and messaging sends the same attempt on another; noted only
 *   (the attempt is still under way, its receipt on the fallback channel decides).
 * - FAILED without one (and SUPPRESSED for exhausted channels or a missing template): the attempt is over; the next
 *   one goes out now on the cadence's next channel; after the round's last attempt the case goes to the exception
 *   queue as UNREACHABLE.
 * - SUPPRESSED for no consent, no (valid) contact point or no safe send time: UNREACHABLE, reminders cancelled.
 * - SUPPRESSED by a frequency cap: counted as made and unanswered; the next reminder follows from it.
 * - OPTED_OUT, or SUPPRESSED_OPTED_OUT (for any attempt): outreach stops on every channel, an OPTED_OUT exception.
 * A receipt for an earlier attempt (the case has moved on) changes nothing but the attempt's own record.
 */
@Injectable()
export class RecordOutreachEventUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(event: OutreachEvent, now = Date.now()): Promise<void> {
    await this.db.transaction(async (tx) => {
      const locked = await CaseSession.lockOnFirstDelivery(tx, 'outreach-event', event.eventId, event.caseId);
      if (!locked) throw new UnknownOutreachCaseError(event.caseId);
      if (!locked.first) return;
      const { record } = locked;
      const definition = this.catalog.get(record.workflowId, record.definitionVersion);
      const session = new CaseSession(tx, record, definition, {
        id: event.eventId,
        actor: { type: 'SERVICE', id: 'messaging' },
      });
      apply(session, event, now);
      await session.save();
    });
  }
}

/** When the receipt says it happened: messaging's time, never later than now (a clock ahead of ours). */
const receiptTime = (event: OutreachEvent, now: number): number => Math.min(event.occurredAt, now);

function apply(session: CaseSession, event: OutreachEvent, now: number): void {
  const { record } = session;
  const attempt = attemptOf(record.caseId, event.outreachId);
  const latest = attempt !== undefined && attempt === record.outreachAttempts;
  const decides = latest && awaitsCustomer(record.state);
  const detail = {
    outreachId: event.outreachId,
    attempt: attempt ?? null,
    channel: event.channel,
    status: event.status,
    providerRef: event.providerRef,
    reason: event.reason,
  };
  const references = {
    outreachId: event.outreachId,
    ...(event.providerRef ? { providerRef: event.providerRef } : {}),
  };
  const at = receiptTime(event, now);
  const status = event.status;
  switch (status) {
    case 'SENT':
    case 'DELIVERED': {
      session.note(`outreach.${status.toLowerCase()}`, detail, {
        outcome: 'SUCCESS',
        reason: `${event.channel} message ${status.toLowerCase()}`,
        references,
      });
      if (record.state === 'OUTREACH')
        session.transition('AWAITING_CUSTOMER', `the customer was reached by ${event.channel}`);
      if (attempt === undefined) return;
      const before = attemptProgress(record.outreachProgress, attempt);
      const firstReach = before?.reachedAt === undefined;
      recordAttempt(session, attempt, before, event, {
        status: before?.status === 'DELIVERED' ? 'DELIVERED' : status,
        reachedAt: before?.reachedAt ?? at,
      });
      if (decides && firstReach)
        remindAfter(session, attempt, at, `attempt ${attempt} was ${status.toLowerCase()}`);
      return;
    }
    case 'OPENED':
    case 'CLICKED':
      session.note(`outreach.${status.toLowerCase()}`, detail, {
        outcome: 'SUCCESS',
        reason: event.reason ?? `${event.channel} message ${status.toLowerCase()}`,
        references,
      });
      return;
    case 'FAILED': {
      // No fallback channel (null, the schema's default for receipts from before the field): the FAILED is final.
      const fallback = event.fallbackChannel ?? null;
      if (fallback !== null) {
        // Not the attempt's end: messaging sends it on the fallback channel, whose receipt decides.
        session.note(
          'outreach.channel_failed',
          { ...detail, fallbackChannel: fallback },
          {
            outcome: 'FAILURE',
            reason: `${event.channel} message failed (${event.reason ?? 'no reason given'}); messaging falls back to ${fallback} for the same outreach`,
            references,
          },
        );
        return;
      }
      session.note('outreach.failed', detail, {
        outcome: 'FAILURE',
        reason: event.reason ?? `${event.channel} message failed`,
        references,
      });
      if (attempt === undefined) return;
      const before = attemptProgress(record.outreachProgress, attempt);
      recordAttempt(session, attempt, before, event, {
        status: 'FAILED',
        endedAt: at,
        reason: event.reason ?? 'FAILED',
      });
      if (decides) moveOn(session, attempt, event, now, `attempt ${attempt} failed on ${event.channel}`);
      return;
    }
    case 'SUPPRESSED': {
      const route = suppressionRoute(event.reason);
      session.note(
        'outreach.suppressed',
        { ...detail, route },
        {
          outcome: 'SUCCESS',
          reason: event.reason ?? `${event.channel} message suppressed`,
          references,
        },
      );
      if (attempt !== undefined) {
        const before = attemptProgress(record.outreachProgress, attempt);
        recordAttempt(
          session,
          attempt,
          before,
          event,
          route === 'UNANSWERED'
            ? { status: 'HELD', reachedAt: before?.reachedAt ?? at, reason: event.reason ?? 'SUPPRESSED' }
            : { status: 'SUPPRESSED', endedAt: at, reason: event.reason ?? 'SUPPRESSED' },
        );
      }
      // An opt-out is the customer's word, whichever attempt it came back on.
      if (route === 'OPTED_OUT') {
        optOut(
          session,
          event,
          `the customer opted out (${event.reason ?? 'SUPPRESSED_OPTED_OUT'}): outreach stops on every channel`,
        );
        return;
      }
      if (!decides || attempt === undefined) return;
      switch (route) {
        case 'UNREACHABLE':
          unreachable(
            session,
            event,
            `messaging could not send attempt ${attempt} (${event.reason ?? 'no reason given'}): an agent must get consent or a contact point`,
            'suppressed',
          );
          return;
        case 'UNANSWERED': {
          const reason = `attempt ${attempt} was held back by a frequency cap; when the cap allows again is not known here, so it counts as made and unanswered`;
          session.note(
            'outreach.held',
            { attempt, reason: event.reason },
            { outcome: 'PENDING', ruleId: ruleOf(session, 'frequency-cap'), reason, references },
          );
          remindAfter(session, attempt, at, `attempt ${attempt} was held back by a frequency cap`);
          return;
        }
        case 'CHANNEL_FAILED':
          moveOn(
            session,
            attempt,
            event,
            now,
            `messaging had no channel left for attempt ${attempt} (${event.reason ?? 'no reason given'})`,
          );
          return;
        default:
          assertUnreachable(route, 'suppression route');
      }
      return;
    }
    case 'OPTED_OUT': {
      const reason = `the customer opted out on ${event.channel}: outreach stops on every channel`;
      session.note('outreach.opted_out', detail, { outcome: 'SUCCESS', reason, references });
      optOut(session, event, reason);
      return;
    }
    default:
      assertUnreachable(status, 'outreach status');
  }
}

const ruleOf = (session: CaseSession, rule: string): string =>
  `${session.definition.id}@v${session.definition.version}/outreach/${rule}`;

/** Records what became of the attempt (the request's own record is kept, a receipt for an unknown one starts it). */
function recordAttempt(
  session: CaseSession,
  attempt: number,
  before: AttemptProgress | undefined,
  event: OutreachEvent,
  change: Partial<AttemptProgress> & { status: AttemptProgress['status'] },
): void {
  const base: AttemptProgress = before ?? {
    channel: event.channel,
    requestedAt: event.occurredAt,
    status: 'REQUESTED',
  };
  setAttemptProgress(session.record, attempt, { ...base, ...change });
  session.markDirty();
}

/** The reminder for the next attempt, the cadence's gap after this one was made; noted with its due time. */
function remindAfter(session: CaseSession, attempt: number, madeAt: number, why: string): void {
  const dueAt = scheduleNextReminder(session, attempt, madeAt);
  if (dueAt === undefined) return;
  session.note(
    'outreach.reminder_scheduled',
    { attempt: attempt + 1, dueAt: new Date(dueAt).toISOString() },
    {
      outcome: 'SUCCESS',
      ruleId: ruleOf(session, 'reminders'),
      reason: `${why}: attempt ${attempt + 1} is due at ${new Date(dueAt).toISOString()} unless the customer acts`,
    },
  );
}

/**
 * The latest attempt did not reach the customer: the next one goes out now, on the cadence's next channel (a
 * reminder already scheduled for it then finds it made and sends nothing); after the round's last attempt the
 * customer could not be reached.
 */
function moveOn(session: CaseSession, attempt: number, event: OutreachEvent, now: number, why: string): void {
  const { record, definition } = session;
  const round = roundOf(record, definition);
  if (attempt < round.last) {
    session.note(
      'outreach.next_attempt_early',
      { failedAttempt: attempt, attempt: attempt + 1 },
      {
        outcome: 'SUCCESS',
        ruleId: ruleOf(session, 'failed'),
        reason: `${why}: attempt ${attempt + 1} goes out now instead of at its reminder`,
        references: { outreachId: event.outreachId },
      },
    );
    requestOutreach(session, attempt + 1, now);
    return;
  }
  unreachable(
    session,
    event,
    `${why}, and it was the last of the cadence's ${round.last - round.first + 1} attempt(s): the customer could not be reached`,
    'failed',
  );
}

/** Outreach stops and an agent takes over: the case goes to the exception queue as UNREACHABLE. */
function unreachable(session: CaseSession, event: OutreachEvent, reason: string, rule: string): void {
  const { record, definition } = session;
  session.transition('EXCEPTION', reason, ruleOf(session, rule));
  session.cancelTimers('REMINDER', 'EXPIRY');
  session.openException({
    kind: 'UNREACHABLE',
    summary: reason,
    context: {
      whatHappened: reason,
      whatWasTried: {
        outreachAttempts: record.outreachAttempts,
        channels: definition.outreach.channels,
        attempts: record.outreachProgress.attempts ?? {},
      },
      customerDid: null,
      messaging: { status: event.status, reason: event.reason, channel: event.channel },
      audit: { correlationId: record.correlationId, outreachEventId: event.eventId },
    },
  });
}

/** Consent is gone: outreach stops on every channel and the case goes to the exception queue as OPTED_OUT. */
function optOut(session: CaseSession, event: OutreachEvent, reason: string): void {
  const { record, definition } = session;
  if (!awaitsCustomer(record.state)) return;
  session.transition('EXCEPTION', reason);
  session.cancelTimers('REMINDER', 'EXPIRY');
  session.openException({
    kind: 'OPTED_OUT',
    summary: reason,
    context: {
      whatHappened: reason,
      whatWasTried: {
        outreachAttempts: record.outreachAttempts,
        channels: definition.outreach.channels,
      },
      customerDid: { optedOut: event.channel, at: event.occurredAt },
      audit: { correlationId: record.correlationId, outreachEventId: event.eventId },
    },
  });
}

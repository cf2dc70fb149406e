import { Topics } from '@closeout/contracts';
import type { CaseSession } from '../cases/case-session';
import { attemptProgress, gapBefore, outreachIdOf, roundOf, setAttemptProgress } from './outreach-cadence';

/**
 * Asks messaging to reach the customer: attempt n goes out on the n-th channel of the definition's order (wrapping),
 * keyed by an outreach id that is stable per (case, attempt), so a re-published request is one message to the customer.
 */
export function requestOutreach(session: CaseSession, attempt: number, now: number): void {
  const { definition, record } = session;
  const cadence = definition.outreach;
  const channel = cadence.channels[(attempt - 1) % cadence.channels.length]!;
  const outreachId = outreachIdOf(record.caseId, attempt);
  session.publish({
    topic: Topics.outreachRequested,
    key: { caseId: record.caseId },
    value: {
      eventId: `orq_${outreachId}`,
      occurredAt: now,
      correlationId: record.correlationId,
      causationId: session.cause.id,
      idempotencyKey: outreachId,
      caseId: record.caseId,
      workflowId: record.workflowId,
      outreachId,
      customerId: record.customerId,
      channel,
      templateId: cadence.templateId,
      purpose: cadence.purpose,
      attempt,
      linkExpiresAt: record.openedAt.getTime() + cadence.expiry.ms,
    },
    headers: {
      correlationId: record.correlationId,
      causationId: session.cause.id,
      idempotencyKey: outreachId,
    },
  });
  record.outreachAttempts = Math.max(record.outreachAttempts, attempt);
  if (!attemptProgress(record.outreachProgress, attempt))
    setAttemptProgress(record, attempt, { channel, requestedAt: now, status: 'REQUESTED' });
  session.markDirty();
  session.note(
    'outreach.requested',
    { outreachId, channel, attempt },
    {
      outcome: 'SUCCESS',
      ruleId: `${definition.id}@v${definition.version}/outreach`,
      reason: `attempt ${attempt} on ${channel}, the channel order ${cadence.channels.join(' → ')}`,
      references: { idempotencyKey: outreachId },
    },
  );
}

/**
 * Starts (or, after an agent hands a case back, restarts) the cadence: a new round, its first message now and the
 * expiry timer (from now). No reminder is scheduled yet: the one for the next attempt is scheduled when messaging
 * reports this one sent or delivered (`scheduleNextReminder`). Timer ids name the attempt, so scheduling twice is a
 * no-op.
 */
export function startOutreach(session: CaseSession, now: number): void {
  const { definition, record } = session;
  const first = record.outreachAttempts + 1;
  record.outreachProgress = {
    ...record.outreachProgress,
    round: { first, last: first + definition.outreach.reminders.length, startedAt: now },
  };
  requestOutreach(session, first, now);
  session.schedule({
    timerId: `tmr_${record.caseId}_expiry_${first}`,
    kind: 'EXPIRY',
    dueAt: now + definition.outreach.expiry.ms,
    payload: { firstAttempt: first },
  });
}

/**
 * Attempt `attempt` counts as made at `madeAt` (sent, delivered, or held back by a frequency cap): the reminder for
 * the next attempt is due the cadence's gap later. Scheduled as `earliest`, so a second receipt for the same attempt
 * never pushes it back, and a reminder an older cadence scheduled at a fixed time is moved forward only. Returns the
 * due time, or undefined when the attempt is the round's last (the expiry timer takes over).
 */
export function scheduleNextReminder(
  session: CaseSession,
  attempt: number,
  madeAt: number,
): number | undefined {
  const { definition, record } = session;
  const round = roundOf(record, definition);
  const next = attempt + 1;
  const gap = next <= round.last ? gapBefore(definition, round, next) : undefined;
  if (gap === undefined) return undefined;
  const dueAt = madeAt + gap;
  session.schedule({
    timerId: `tmr_${record.caseId}_reminder_${next}`,
    kind: 'REMINDER',
    dueAt,
    payload: { attempt: next },
    earliest: true,
  });
  return dueAt;
}

import { Topics } from '@closeout/contracts';
import type { CaseSession } from '../cases/case-session';

/**
 * Asks messaging to reach the customer: attempt n goes out on the n-th channel of the definition's order (wrapping),
 * keyed by an outreach id that is stable per (case, attempt), so a re-published request is one message to the customer.
 */
export function requestOutreach(session: CaseSession, attempt: number, now: number): void {
  const { definition, record } = session;
  const cadence = definition.outreach;
  const channel = cadence.channels[(attempt - 1) % cadence.channels.length]!;
  const outreachId = `out_${record.caseId}_${attempt}`;
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
 * Starts (or, after an agent hands a case back, restarts) the cadence: the first message now, a durable timer per
 * reminder, and the expiry timer. Timer ids name the attempt they belong to, so scheduling twice is a no-op.
 */
export function startOutreach(session: CaseSession, now: number): void {
  const { definition, record } = session;
  const first = record.outreachAttempts + 1;
  requestOutreach(session, first, now);
  definition.outreach.reminders.forEach((delay, i) => {
    const attempt = first + i + 1;
    session.schedule({
      timerId: `tmr_${record.caseId}_reminder_${attempt}`,
      kind: 'REMINDER',
      dueAt: now + delay.ms,
      payload: { attempt },
    });
  });
  session.schedule({
    timerId: `tmr_${record.caseId}_expiry_${first}`,
    kind: 'EXPIRY',
    dueAt: now + definition.outreach.expiry.ms,
    payload: { firstAttempt: first },
  });
}

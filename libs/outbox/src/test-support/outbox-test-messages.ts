import { Topics } from '@closeout/contracts';
import type { OutboxMessage } from '../lib/outbox-message';

/**
 * Audit event `evt-<n>` as an outbox message on `topic` (audit.event.v1 unless given), keyed by correlation id
 * `corr-<n % keys>` so several keys share a batch; `value` overrides fields of the event, valid or not.
 */
export function auditMessage(
  n: number,
  options: { keys: number; topic?: string; occurredAt?: number; value?: Record<string, unknown> },
): OutboxMessage {
  const correlationId = `corr-${n % options.keys}`;
  return {
    topic: options.topic ?? Topics.auditEvent,
    key: { correlationId },
    headers: { correlationId },
    value: {
      eventId: `evt-${n}`,
      occurredAt: options.occurredAt ?? Date.now(),
      correlationId,
      causationId: null,
      actor: { type: 'SERVICE', id: 'writeback-rest' },
      action: 'writeback.applied',
      outcome: 'SUCCESS',
      service: 'writeback-rest',
      host: 'test',
      reason: 'integration test',
      caseId: null,
      versions: {},
      references: { n: String(n) },
      ...options.value,
    },
  } as unknown as OutboxMessage;
}

/** Polls `condition` every `stepMs` until it holds; throws once `timeoutMs` has passed. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

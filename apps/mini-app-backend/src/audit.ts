import { Topics } from '@closeout/contracts';
import { buildAuditEvent, type AuditInput } from '@closeout/audit';
import type { OutboxMessage } from '@closeout/outbox';

/** An audit event as an outbox message, written in the transaction of the decision it records. */
export function auditMessage(serviceName: string, input: AuditInput): OutboxMessage {
  const event = buildAuditEvent(serviceName, input);
  return {
    topic: Topics.auditEvent,
    key: { correlationId: event.correlationId },
    value: event,
    headers: {
      correlationId: event.correlationId,
      ...(input.causationId ? { causationId: input.causationId } : {}),
    },
  };
}

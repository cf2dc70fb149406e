import { Inject, Injectable } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { EventPublisher } from '@closeout/kafka';
import { buildAuditEvent, maskAuditEvent, type AuditInput } from './audit-event';

export const AUDIT_SERVICE_NAME = Symbol('closeout.audit.service-name');

/**
 * The one way a service audits a decision that is not already written through a transactional outbox:
 * builds a complete audit.event.v1 and publishes it keyed by correlation id, so a case's trail stays ordered.
 */
@Injectable()
export class AuditEmitter {
  constructor(
    private readonly publisher: EventPublisher,
    @Inject(AUDIT_SERVICE_NAME) private readonly service: string,
  ) {}

  async emit(input: AuditInput): Promise<void> {
    // Masked again at the edge: whatever built the event, no card number or contact point is published.
    const event = maskAuditEvent(buildAuditEvent(this.service, input));
    await this.publisher.publish(Topics.auditEvent, { correlationId: event.correlationId }, event, {
      correlationId: event.correlationId,
      ...(event.causationId ? { causationId: event.causationId } : {}),
    });
  }
}

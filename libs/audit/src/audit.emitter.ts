import { Inject, Injectable } from '@nestjs/common';
import { EventPublisher } from '@closeout/kafka';
import { buildAuditMessage, type AuditInput } from './audit-event';

export const AUDIT_SERVICE_NAME = Symbol('closeout.audit.service-name');

/**
 * Publishes an audit event straight to Kafka, outside any transaction. Only for a decision that writes nothing (a
 * refusal answered at once) in a service with no outbox: a decision that commits anything writes its audit event
 * with it, through the service's outbox (`buildAuditMessage`), so no crash between the commit and the publish can
 * lose it. Built by the same builder: required fields checked, sizes bounded, personal data minimised.
 */
@Injectable()
export class AuditEmitter {
  constructor(
    private readonly publisher: EventPublisher,
    @Inject(AUDIT_SERVICE_NAME) private readonly service: string,
  ) {}

  async emit(input: AuditInput): Promise<void> {
    const message = buildAuditMessage(this.service, input);
    await this.publisher.publish(message.topic, message.key, message.value, message.headers);
  }
}

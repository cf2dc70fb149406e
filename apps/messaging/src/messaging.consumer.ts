import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Topics, type CustomerContact, type OutreachRequested } from '@closeout/contracts';
import { buildAuditEvent } from '@closeout/audit';
import { EventSubscriber } from '@closeout/kafka';
import { insertOutboxMessages } from '@closeout/outbox';
import { CLOCK, type Clock } from './clock/clock';
import { upsertContact } from './contacts/contact-directory';
import { admitSend } from './sends/send-ledger';
import { SendWorker } from './sends/send-worker';

export const MESSAGING_SERVICE_NAME = Symbol('messaging.service-name');

/**
 * Records that `consumer` handled `eventId`, in the caller's transaction: false when it already had (a redelivery,
 * which then changes nothing).
 */
export async function firstDelivery(tx: EntityManager, consumer: string, eventId: string): Promise<boolean> {
  const rows: unknown[] = await tx.query(
    'INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id',
    [consumer, eventId],
  );
  return rows.length > 0;
}

/**
 * Messaging's inputs, through the Kafka lib's one delivery path: `customer.contact.v1` updates the contact directory,
 * `outreach.requested.v1` is admitted into the send ledger once per (outreach id, attempt). Both are idempotent
 * (the inbox, and each write's own guard), so a redelivery changes nothing.
 */
@Injectable()
export class MessagingConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(MESSAGING_SERVICE_NAME) private readonly serviceName: string,
    private readonly worker: SendWorker,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribe({
      groupId: `${this.serviceName}.customer-contact`,
      topic: Topics.customerContact,
      deriveCorrelationId: (m) => m.value.correlationId,
      handler: (m) => this.recordContact(m.value),
    });
    await this.subscriber.subscribe({
      groupId: `${this.serviceName}.outreach-requested`,
      topic: Topics.outreachRequested,
      handler: async (m) => void (await this.admit(m.value)),
    });
  }

  async recordContact(contact: CustomerContact): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (await firstDelivery(tx, 'customer-contact', contact.eventId)) await upsertContact(tx, contact);
    });
  }

  /** True when the request was admitted now; false for one already admitted (or an event already handled). */
  async admit(request: OutreachRequested): Promise<boolean> {
    const admitted = await this.db.transaction(async (tx) => {
      if (!(await firstDelivery(tx, 'outreach-requested', request.eventId))) return false;
      const row = await admitSend(tx, request, this.clock.now());
      if (!row) return false;
      const event = buildAuditEvent(this.serviceName, {
        actor: { type: 'SERVICE', id: this.serviceName },
        action: 'outreach.received',
        outcome: 'PENDING',
        reason: `outreach ${request.outreachId} attempt ${request.attempt} on ${request.channel} admitted to the send ledger`,
        correlationId: request.correlationId,
        causationId: request.eventId,
        caseId: request.caseId,
        versions: { templateId: request.templateId },
        references: {
          outreachId: request.outreachId,
          attempt: String(request.attempt),
          idempotencyKey: request.idempotencyKey,
        },
      });
      await insertOutboxMessages(tx, 'outbox', [
        {
          topic: Topics.auditEvent,
          key: { correlationId: event.correlationId },
          value: event,
          headers: { correlationId: event.correlationId, causationId: request.eventId },
        },
      ]);
      return true;
    });
    if (admitted) this.worker.wake();
    return admitted;
  }
}

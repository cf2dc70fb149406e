import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Topics, type CustomerContact, type OutreachRequested } from '@closeout/contracts';
import { buildAuditMessage } from '@closeout/audit';
import { EventSubscriber } from '@closeout/kafka';
import { firstDeliveries, insertOutboxMessages, type OutboxMessage } from '@closeout/outbox';
import { CLOCK, type Clock } from './clock/clock';
import { upsertContacts } from './contacts/contact-directory';
import { admitSends } from './sends/send-ledger';
import { SendWorker } from './sends/send-worker';

export const MESSAGING_SERVICE_NAME = Symbol('messaging.service-name');

/** Most messages a batch handler takes at once (one transaction each). */
const BATCH = 200;

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
      maxBatchSize: BATCH,
      batchHandler: (messages) => this.recordContacts(messages.map((m) => m.value)),
    });
    await this.subscriber.subscribe({
      groupId: `${this.serviceName}.outreach-requested`,
      topic: Topics.outreachRequested,
      maxBatchSize: BATCH,
      batchHandler: async (messages) => void (await this.admitMany(messages.map((m) => m.value))),
    });
  }

  async recordContact(contact: CustomerContact): Promise<void> {
    await this.recordContacts([contact]);
  }

  /** Contact statements in offset order, in one transaction; a statement already handled changes nothing. */
  async recordContacts(contacts: readonly CustomerContact[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const fresh = await firstDeliveries(
        tx,
        'customer-contact',
        contacts.map((c) => c.eventId),
      );
      await upsertContacts(
        tx,
        contacts.filter((c) => fresh.delete(c.eventId)),
      );
    });
  }

  /** True when the request was admitted now; false for one already admitted (or an event already handled). */
  async admit(request: OutreachRequested): Promise<boolean> {
    return (await this.admitMany([request])) > 0;
  }

  /**
   * Admits requests in one transaction (inbox, send rows and their audit events, a statement each): how many were
   * admitted now. A request already admitted, or an event already handled, changes nothing.
   */
  async admitMany(requests: readonly OutreachRequested[]): Promise<number> {
    const admitted = await this.db.transaction(async (tx) => {
      const fresh = await firstDeliveries(
        tx,
        'outreach-requested',
        requests.map((r) => r.eventId),
      );
      const first = requests.filter((r) => fresh.delete(r.eventId));
      const rows = await admitSends(tx, first, this.clock.now());
      // The first request for an (outreach id, attempt) is the one admitted when the batch repeats one.
      const byRequest = new Map<string, OutreachRequested>();
      for (const r of first) {
        const key = `${r.outreachId}|${r.attempt}`;
        if (!byRequest.has(key)) byRequest.set(key, r);
      }
      const audits = rows.map((row) => {
        const request = byRequest.get(`${row.outreachId}|${row.attempt}`)!;
        return this.receivedAudit(request);
      });
      await insertOutboxMessages(tx, 'outbox', audits);
      return rows.length;
    });
    if (admitted > 0) this.worker.wake();
    return admitted;
  }

  private receivedAudit(request: OutreachRequested): OutboxMessage {
    return buildAuditMessage(this.serviceName, {
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
  }
}

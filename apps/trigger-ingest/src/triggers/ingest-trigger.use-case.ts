import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Topics, type CaseTriggered } from '@closeout/contracts';
import { EventPublisher } from '@closeout/kafka';
import { AuditEmitter } from '@closeout/audit';
import { triggerMappings, type UpstreamEvent } from './upstream-event';

export class UnmappedEventTypeError extends Error {
  readonly code = 'UNMAPPED_EVENT_TYPE';
  constructor(readonly eventType: string) {
    super(`eventType: no trigger mapping for '${eventType}' (known: ${triggerMappings.map((m) => m.eventType).join(', ')})`);
  }
}

export interface IngestOutcome {
  caseId: string;
  duplicate: boolean;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Maps an upstream event to a canonical trigger, dedupes it by (source system, event id) and publishes
 * case.triggered.v1. The case id is derived from the source event, so a redelivered event names the same case.
 */
@Injectable()
export class IngestTriggerUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditEmitter,
  ) {}

  async execute(event: UpstreamEvent, rawBody: string): Promise<IngestOutcome> {
    const mapping = triggerMappings.find((m) => m.eventType === event.eventType);
    if (!mapping) throw new UnmappedEventTypeError(event.eventType);
    const caseId = `case_${sha256(`${event.sourceSystem}\u0000${event.eventId}`).slice(0, 24)}`;
    const payloadRef = `sha256:${sha256(rawBody)}`;

    return this.db.transaction(async (tx) => {
      const inserted: unknown[] = await tx.query(
        `INSERT INTO source_event (source_system, event_id, event_type, case_id, payload_ref)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source_system, event_id) DO NOTHING RETURNING case_id`,
        [event.sourceSystem, event.eventId, event.eventType, caseId, payloadRef],
      );
      if (inserted.length === 0) return { caseId, duplicate: true };

      const trigger: CaseTriggered = {
        eventId: `trg_${sha256(caseId).slice(0, 24)}`,
        occurredAt: Date.parse(event.occurredAt),
        correlationId: caseId,
        causationId: null,
        caseId,
        workflowId: mapping.workflowId,
        source: {
          system: event.sourceSystem,
          eventId: event.eventId,
          eventType: event.eventType,
          mappingVersion: mapping.mappingVersion,
          payloadRef,
        },
        customer: {
          customerId: event.customer.customerId,
          accountId: event.customer.accountId ?? null,
          locale: event.customer.locale ?? null,
          timeZone: event.customer.timeZone ?? null,
        },
        amount: event.amount ?? null,
        attributes: event.attributes,
      };
      // Published inside the transaction: if Kafka refuses, the dedupe row rolls back and the sender may retry.
      await this.publisher.publish(Topics.caseTriggered, { caseId }, trigger, { correlationId: caseId });
      await this.audit.emit({
        actor: { type: 'SYSTEM', id: event.sourceSystem },
        action: 'trigger.accepted',
        outcome: 'SUCCESS',
        reason: `event type ${event.eventType} maps to workflow ${mapping.workflowId}`,
        correlationId: caseId,
        caseId,
        versions: { triggerMapping: mapping.mappingVersion },
        references: { sourceEventId: event.eventId, payloadRef },
      });
      return { caseId, duplicate: false };
    });
  }
}

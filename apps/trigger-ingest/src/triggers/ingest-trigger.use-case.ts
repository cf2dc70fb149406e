import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Topics, type CaseTriggered } from '@closeout/contracts';
import { EventPublisher } from '@closeout/kafka';
import { AuditEmitter } from '@closeout/audit';
import { caseIdOf, sha256 } from '../ingest/case-id';
import type { CanonicalTrigger, TriggerMappingTable } from '../ingest/trigger-mapping';
import { TRIGGER_MAPPINGS } from '../ingest/trigger-mappings';
import { TriggerRefusedError } from '../ingest/trigger-refused.error';
import {
  parseUpstreamEnvelope,
  sourceIdentityOf,
  sourceSystemOf,
  type EnvelopeOrigin,
} from '../ingest/upstream-envelope';
import { ingestTriggersCounter, type IngestOutcomeLabel } from './ingest.metrics';

/** How an event reached the service: the HTTP endpoint, or a configured upstream topic. */
export type IngestChannel = { kind: 'http' } | { kind: 'kafka'; topic: string; sourceSystem?: string };

export interface IngestOutcome {
  caseId: string;
  duplicate: boolean;
}

const channelName = (channel: IngestChannel): string => (channel.kind === 'http' ? 'http' : channel.topic);

const originOf = (channel: IngestChannel): EnvelopeOrigin =>
  channel.kind === 'http' ? {} : { topic: channel.topic, sourceSystem: channel.sourceSystem };

/**
 * Turns an upstream event (decoded JSON or Avro, from any channel) into case.triggered.v1: validates the
 * envelope, maps (eventType, eventVersion) to a canonical trigger, dedupes by (source system, event id) and
 * publishes. Every outcome is counted and audited; a refusal is thrown as TriggerRefusedError for the channel
 * to answer (4xx, DLQ).
 */
@Injectable()
export class IngestTriggerUseCase {
  private readonly counter = ingestTriggersCounter();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly publisher: EventPublisher,
    private readonly audit: AuditEmitter,
    @Inject(TRIGGER_MAPPINGS) private readonly mappings: TriggerMappingTable,
  ) {}

  async execute(input: unknown, channel: IngestChannel): Promise<IngestOutcome> {
    const payloadRef = `sha256:${sha256(JSON.stringify(input) ?? '')}`;
    let trigger: CanonicalTrigger;
    try {
      trigger = this.mappings.map(parseUpstreamEnvelope(input, originOf(channel)));
    } catch (error) {
      if (error instanceof TriggerRefusedError) await this.refused(input, channel, payloadRef, error);
      throw error;
    }
    const caseId = caseIdOf(trigger.sourceSystem, trigger.eventId);
    const inserted = await this.db.transaction(async (tx) => {
      const rows: unknown[] = await tx.query(
        `INSERT INTO source_event (source_system, event_id, event_type, case_id, payload_ref, event_version, mapping_version, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (source_system, event_id) DO NOTHING RETURNING case_id`,
        [
          trigger.sourceSystem,
          trigger.eventId,
          trigger.eventType,
          caseId,
          payloadRef,
          trigger.eventVersion,
          trigger.mappingVersion,
          channelName(channel),
        ],
      );
      if (rows.length === 0) return false;
      // Published inside the transaction: if Kafka refuses, the dedupe row rolls back and the sender may retry.
      await this.publisher.publish(
        Topics.caseTriggered,
        { caseId },
        caseTriggered(caseId, trigger, payloadRef),
        {
          correlationId: caseId,
        },
      );
      return true;
    });

    const references = { sourceEventId: trigger.eventId, payloadRef, channel: channelName(channel) };
    const versions = { triggerMapping: trigger.mappingVersion, eventVersion: String(trigger.eventVersion) };
    if (!inserted) {
      await this.audit.emit({
        actor: { type: 'SYSTEM', id: trigger.sourceSystem },
        action: 'trigger.duplicate',
        outcome: 'SUCCESS',
        reason: `source event ${trigger.sourceSystem}/${trigger.eventId} was already ingested as ${caseId}; nothing changed`,
        correlationId: caseId,
        caseId,
        versions,
        references,
      });
      this.count('duplicate', channel, trigger.sourceSystem);
      return { caseId, duplicate: true };
    }
    await this.audit.emit({
      actor: { type: 'SYSTEM', id: trigger.sourceSystem },
      action: 'trigger.accepted',
      outcome: 'SUCCESS',
      reason: `${trigger.eventType} v${trigger.eventVersion} maps to workflow ${trigger.workflowId} (${trigger.mappingVersion})`,
      correlationId: caseId,
      caseId,
      versions,
      references,
    });
    this.count('accepted', channel, trigger.sourceSystem);
    return { caseId, duplicate: false };
  }

  /** Audited when the event names its source and id (the would-be case is the correlation); always counted. */
  private async refused(
    input: unknown,
    channel: IngestChannel,
    payloadRef: string,
    error: TriggerRefusedError,
  ): Promise<void> {
    const identity = sourceIdentityOf(input, originOf(channel));
    if (identity) {
      const caseId = caseIdOf(identity.sourceSystem, identity.eventId);
      await this.audit.emit({
        actor: { type: 'SYSTEM', id: identity.sourceSystem },
        action: 'trigger.refused',
        outcome: 'DENIED',
        reason: `${error.code}: ${error.message}`,
        correlationId: caseId,
        caseId: null,
        references: { sourceEventId: identity.eventId, payloadRef, channel: channelName(channel) },
      });
    }
    this.count('refused', channel, sourceSystemOf(input, originOf(channel)) ?? 'unknown');
  }

  private count(outcome: IngestOutcomeLabel, channel: IngestChannel, sourceSystem: string): void {
    this.counter.inc({ outcome, channel: channelName(channel), source_system: sourceSystem });
  }
}

function caseTriggered(caseId: string, trigger: CanonicalTrigger, payloadRef: string): CaseTriggered {
  return {
    eventId: `trg_${sha256(caseId).slice(0, 24)}`,
    occurredAt: trigger.occurredAt,
    correlationId: caseId,
    causationId: null,
    caseId,
    workflowId: trigger.workflowId,
    source: {
      system: trigger.sourceSystem,
      eventId: trigger.eventId,
      eventType: trigger.eventType,
      mappingVersion: trigger.mappingVersion,
      payloadRef,
    },
    customer: trigger.customer,
    amount: trigger.amount,
    attributes: trigger.attributes,
  };
}

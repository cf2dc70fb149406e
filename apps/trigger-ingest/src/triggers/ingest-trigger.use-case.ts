import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Topics, type CaseTriggered, type CustomerContact, type CustomerFacts } from '@closeout/contracts';
import { buildAuditMessage, type AuditInput } from '@closeout/audit';
import { insertOutboxMessages, outboxInsertSql, outboxRowsParam } from '@closeout/outbox';
import { caseIdOf, sha256 } from '../ingest/case-id';
import { contactKinds, type ContactBlock } from '../ingest/contact-block';
import type { CanonicalTrigger, TriggerMappingTable } from '../ingest/trigger-mapping';
import { TRIGGER_MAPPINGS } from '../ingest/trigger-mappings';
import { containsPan, type HashedKnownFact } from '@closeout/privacy';
import { hashKnownFacts, knownFactNames, withoutKnownFacts, type KnownFacts } from '../ingest/known-facts';
import { screenEvent } from '../ingest/event-screening';
import { TriggerRefusedError } from '../ingest/trigger-refused.error';
import {
  knownSourceSystemOf,
  parseUpstreamEnvelope,
  sourceIdentityOf,
  type EnvelopeOrigin,
} from '../ingest/upstream-envelope';
import { ingestTriggersCounter, type IngestOutcomeLabel } from './ingest.metrics';
import { KNOWN_SOURCES } from './tokens';

/** The service name audit events written to the outbox carry (SERVICE_NAME). */
export const INGEST_SERVICE_NAME = Symbol('trigger-ingest.service-name');

/** The outbox table, on the schema's search path (see IngestOutbox1732270000000). */
const OUTBOX = 'outbox';

/** How an event reached the service: the HTTP endpoint (with the sources the caller's token may publish for), or a configured upstream topic. */
export type IngestChannel =
  | { kind: 'http'; principal: string; sources: readonly string[] }
  | { kind: 'kafka'; topic: string; sourceSystem?: string };

export interface IngestOutcome {
  caseId: string;
  duplicate: boolean;
  /** Free-text fields whose card numbers or contact points were masked before anything stored them. */
  masked?: string[];
}

const channelName = (channel: IngestChannel): string => (channel.kind === 'http' ? 'http' : channel.topic);

const originOf = (channel: IngestChannel): EnvelopeOrigin =>
  channel.kind === 'http'
    ? { allowedSources: channel.sources }
    : { topic: channel.topic, sourceSystem: channel.sourceSystem };

const safeId = (id: string): boolean => !containsPan(id);

/**
 * The fingerprint of a normalised event: what a repeat under the same event id must match to be a duplicate.
 * Taken over the canonical trigger (after masking), so the same event over Avro, JSON or HTTP fingerprints alike.
 */
export function fingerprintOf(trigger: CanonicalTrigger): string {
  const attributes = Object.fromEntries(
    Object.entries(trigger.attributes).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return `sha256:${sha256(
    JSON.stringify([
      trigger.sourceSystem,
      trigger.eventId,
      trigger.eventType,
      trigger.occurredAt,
      trigger.customer.customerId,
      trigger.customer.accountId,
      trigger.customer.locale,
      trigger.customer.timeZone,
      trigger.amount ? [trigger.amount.amountMinor, trigger.amount.currency] : null,
      attributes,
      // Only when present, so events without a contact block keep the fingerprints stored before it existed.
      ...(trigger.contact ? [contactFingerprintPart(trigger.contact)] : []),
      // Known facts are left out on purpose: a digest over a date of birth and fields case.triggered.v1 publishes
      // could be guessed back. A repeat that differs only in its known facts is a duplicate.
    ]),
  )}`;
}

/** The contact block in a fixed order (normalised values, consents as sent): a change of contact is a different event. */
function contactFingerprintPart(contact: ContactBlock): unknown {
  return [
    'contact',
    contact.email ?? null,
    contact.phone ?? null,
    contact.timeZone ?? null,
    contact.locale ?? null,
    (contact.consents ?? []).map((c) => [c.channel, c.purpose, c.granted, c.source, c.statedAt]),
  ];
}

/**
 * Turns an upstream event (decoded JSON or Avro, from any channel) into case.triggered.v1: validates the
 * envelope, maps (eventType, eventVersion) to a canonical trigger, dedupes by (source system, event id) and
 * publishes through the transactional outbox: the source event row, case.triggered.v1 and the decision's audit event
 * (accepted, duplicate or conflict) commit together, and the outbox relay (OutboxRelayService) publishes them once committed.
 * A returned outcome is durable; a transaction that fails leaves nothing to publish and the sender may retry. Every
 * outcome is counted and audited; a refusal is thrown as TriggerRefusedError for the channel to answer (4xx, DLQ).
 */
@Injectable()
export class IngestTriggerUseCase {
  private readonly counter = ingestTriggersCounter();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TRIGGER_MAPPINGS) private readonly mappings: TriggerMappingTable,
    @Inject(KNOWN_SOURCES) private readonly knownSources: ReadonlySet<string>,
    @Inject(INGEST_SERVICE_NAME) private readonly serviceName: string,
  ) {}

  async execute(input: unknown, channel: IngestChannel): Promise<IngestOutcome> {
    // Taken without the known facts: a digest over a date of birth could be guessed back (known-facts.ts).
    const payloadRef = `sha256:${sha256(JSON.stringify(withoutKnownFacts(input)) ?? '')}`;
    let trigger: CanonicalTrigger;
    let masked: string[];
    try {
      const screened = screenEvent(parseUpstreamEnvelope(input, originOf(channel)));
      masked = screened.masked;
      trigger = this.mappings.map(screened.event);
    } catch (error) {
      if (error instanceof TriggerRefusedError) await this.refused(input, channel, payloadRef, error);
      throw error;
    }
    const caseId = caseIdOf(trigger.sourceSystem, trigger.eventId);
    const fingerprint = fingerprintOf(trigger);
    // Hashed before the transaction (scrypt is slow on purpose: no connection is held meanwhile); the raw facts go
    // no further than this.
    const hashedFacts = trigger.knownFacts ? await hashKnownFacts(trigger.knownFacts) : [];
    const references = { sourceEventId: trigger.eventId, payloadRef, channel: channelName(channel) };
    const versions = { triggerMapping: trigger.mappingVersion, eventVersion: String(trigger.eventVersion) };
    const audited = (decision: Omit<AuditInput, 'correlationId' | 'caseId' | 'versions' | 'references'>) =>
      buildAuditMessage(this.serviceName, {
        ...decision,
        correlationId: caseId,
        caseId,
        versions,
        references,
      });
    // The event id was taken: the same event again (a duplicate) or another under its id (a conflict), audited.
    const repeated = async (): Promise<'duplicate' | 'conflict'> => {
      const stored: Array<{ fingerprint: string | null }> = await this.db.query(
        'SELECT fingerprint FROM source_event WHERE source_system = $1 AND event_id = $2',
        [trigger.sourceSystem, trigger.eventId],
      );
      // Rows from before fingerprints cannot tell a conflict from a duplicate: they stay duplicates.
      const previous = stored[0]?.fingerprint ?? null;
      if (previous === null || previous === fingerprint) {
        await insertOutboxMessages(this.db.manager, OUTBOX, [
          audited({
            actor: { type: 'SYSTEM', id: trigger.sourceSystem },
            action: 'trigger.duplicate',
            outcome: 'SUCCESS',
            reason: `source event ${trigger.sourceSystem}/${trigger.eventId} was already ingested as ${caseId}; nothing changed`,
          }),
        ]);
        return 'duplicate';
      }
      // No payload value in the audit: the event id and the fingerprints say which events differ.
      await insertOutboxMessages(this.db.manager, OUTBOX, [
        audited({
          actor: { type: 'SYSTEM', id: trigger.sourceSystem },
          action: 'trigger.conflict',
          outcome: 'DENIED',
          reason: `source event id already used for a different event (fingerprint ${fingerprint} differs from the stored one); refused`,
        }),
      ]);
      return 'conflict';
    };
    // The trigger, its contact block and the audit event are written with the dedupe row in one statement: all are
    // published once it commits, none if it does not (the sender may then retry). One round trip, no BEGIN/COMMIT.
    const accepted = [
      {
        topic: Topics.caseTriggered,
        key: { caseId },
        value: caseTriggered(caseId, trigger, payloadRef),
        headers: { correlationId: caseId },
      },
      ...(trigger.contact
        ? [
            {
              topic: Topics.customerContact,
              key: { customerId: trigger.customer.customerId },
              value: customerContact(caseId, trigger, trigger.contact),
              headers: { correlationId: caseId },
            },
          ]
        : []),
      ...(hashedFacts.length > 0
        ? [
            {
              topic: Topics.customerFacts,
              key: { customerId: trigger.customer.customerId },
              value: customerFacts(caseId, trigger, hashedFacts),
              headers: { correlationId: caseId },
            },
          ]
        : []),
      audited({
        actor: { type: 'SYSTEM', id: trigger.sourceSystem },
        action: 'trigger.accepted',
        outcome: 'SUCCESS',
        reason: `${trigger.eventType} v${trigger.eventVersion} maps to workflow ${trigger.workflowId} (${trigger.mappingVersion})${contactSummary(trigger.contact)}${knownFactsSummary(trigger.knownFacts)}`,
      }),
    ];
    const [written] = (await this.db.query(
      `WITH se AS (
         INSERT INTO source_event (source_system, event_id, event_type, case_id, payload_ref, event_version, mapping_version, channel, fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (source_system, event_id) DO NOTHING RETURNING 1),
       ob AS (${outboxInsertSql(OUTBOX, 10, 'EXISTS (SELECT 1 FROM se)')} RETURNING 1)
       SELECT (SELECT count(*) FROM se)::int AS inserted`,
      [
        trigger.sourceSystem,
        trigger.eventId,
        trigger.eventType,
        caseId,
        payloadRef,
        trigger.eventVersion,
        trigger.mappingVersion,
        channelName(channel),
        fingerprint,
        outboxRowsParam(accepted),
      ],
    )) as { inserted: number }[];
    const inserted = written?.inserted === 1 ? 'inserted' : await repeated();

    if (inserted === 'conflict') {
      this.count('conflict', channel, trigger.sourceSystem);
      throw new TriggerRefusedError('TRIGGER_CONFLICT', [
        { field: 'eventId', rule: 'already used for a different event from this source system' },
      ]);
    }
    if (inserted === 'duplicate') {
      this.count('duplicate', channel, trigger.sourceSystem);
      return { caseId, duplicate: true, ...(masked.length > 0 ? { masked } : {}) };
    }
    this.count('accepted', channel, trigger.sourceSystem);
    return { caseId, duplicate: false, ...(masked.length > 0 ? { masked } : {}) };
  }

  /**
   * Audited (through the outbox) when the event names its source and id (the would-be case is the correlation), or
   * when a token is used for another source's events; always counted.
   */
  private async refused(
    input: unknown,
    channel: IngestChannel,
    payloadRef: string,
    error: TriggerRefusedError,
  ): Promise<void> {
    const origin = originOf(channel);
    const refusals: AuditInput[] = [];
    if (error.code === 'TRIGGER_FORBIDDEN' && channel.kind === 'http') {
      // A token used for another source's events is a security event: audited under the caller's principal, with the
      // claimed source named only when it is a configured one (the correlation is the payload's digest otherwise).
      const claimed = sourceIdentityOf(input, origin, this.knownSources, safeId);
      refusals.push({
        actor: { type: 'SYSTEM', id: channel.principal },
        action: 'trigger.forbidden',
        outcome: 'DENIED',
        reason: `${error.code}: ${error.message}`,
        correlationId: claimed ? caseIdOf(claimed.sourceSystem, claimed.eventId) : payloadRef,
        caseId: null,
        references: {
          ...(claimed ? { sourceEventId: claimed.eventId, claimedSourceSystem: claimed.sourceSystem } : {}),
          payloadRef,
          channel: channelName(channel),
        },
      });
    }
    // Only a known source and an id that keeps to the id rule are named: nothing unchecked reaches the audit trail.
    const identity = sourceIdentityOf(input, origin, this.allowedFor(channel), safeId);
    if (identity) {
      const caseId = caseIdOf(identity.sourceSystem, identity.eventId);
      refusals.push({
        actor: { type: 'SYSTEM', id: identity.sourceSystem },
        action: 'trigger.refused',
        outcome: 'DENIED',
        reason: `${error.code}: ${error.message}`,
        correlationId: caseId,
        caseId: null,
        references: { sourceEventId: identity.eventId, payloadRef, channel: channelName(channel) },
      });
    }
    // Through the outbox like every other audit event of this service: a refusal writes nothing else, so its own
    // transaction is the decision's, and a Kafka outage neither loses the record nor turns the 4xx into a 5xx.
    if (refusals.length > 0)
      await this.db.transaction((tx) =>
        insertOutboxMessages(
          tx,
          OUTBOX,
          refusals.map((r) => buildAuditMessage(this.serviceName, r)),
        ),
      );
    this.count('refused', channel, knownSourceSystemOf(input, origin, this.knownSources));
  }

  /** The sources an event on this channel may name: the caller's (HTTP), else every known one. */
  private allowedFor(channel: IngestChannel): ReadonlySet<string> {
    return channel.kind === 'http' ? new Set(channel.sources) : this.knownSources;
  }

  /** `source_system` is a configured source or `unknown`: a label never takes a value the sender chose freely. */
  private count(outcome: IngestOutcomeLabel, channel: IngestChannel, sourceSystem: string | undefined): void {
    const label =
      sourceSystem !== undefined && this.knownSources.has(sourceSystem) ? sourceSystem : 'unknown';
    this.counter.inc({ outcome, channel: channelName(channel), source_system: label });
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

/**
 * The contact block as customer.contact.v1 carries it, keyed by the customer. Its event id derives from the case, so
 * a relay's re-publication is recognised downstream.
 */
function customerContact(caseId: string, trigger: CanonicalTrigger, contact: ContactBlock): CustomerContact {
  return {
    eventId: `cnt_${sha256(`${caseId}\u0000contact`).slice(0, 24)}`,
    occurredAt: trigger.occurredAt,
    correlationId: caseId,
    causationId: null,
    customerId: trigger.customer.customerId,
    sourceSystem: trigger.sourceSystem,
    sourceEventId: trigger.eventId,
    email: contact.email ?? null,
    phone: contact.phone ?? null,
    timeZone: contact.timeZone ?? null,
    locale: contact.locale ?? null,
    consents: (contact.consents ?? []).map((c) => ({
      channel: c.channel,
      purpose: c.purpose,
      granted: c.granted,
      source: c.source,
      statedAt: c.statedAt,
    })),
  };
}

/**
 * The hashed known facts as customer.facts.v1 carries them, keyed by the customer. Its event id derives from the
 * case, so a relay's re-publication is recognised downstream.
 */
function customerFacts(caseId: string, trigger: CanonicalTrigger, facts: HashedKnownFact[]): CustomerFacts {
  return {
    eventId: `kfs_${sha256(`${caseId}\u0000known-facts`).slice(0, 24)}`,
    occurredAt: trigger.occurredAt,
    correlationId: caseId,
    causationId: null,
    customerId: trigger.customer.customerId,
    sourceSystem: trigger.sourceSystem,
    sourceEventId: trigger.eventId,
    facts: facts.map((f) => ({ name: f.name, algorithm: f.algorithm, salt: f.salt, hash: f.hash })),
  };
}

/** What the audit trail says of known facts: which were stated, never a value or a hash. */
function knownFactsSummary(facts: KnownFacts | null): string {
  return facts ? `; known facts received (${knownFactNames(facts).join(', ')}) for customer.facts.v1` : '';
}

/** What the audit trail says of a contact block: which kinds it stated and how many consents, never a value. */
function contactSummary(contact: ContactBlock | null): string {
  if (!contact) return '';
  const kinds = contactKinds(contact);
  const consents = contact.consents?.length ?? 0;
  const stated = [
    ...kinds,
    ...(consents > 0 ? [`${consents} consent statement${consents === 1 ? '' : 's'}`] : []),
  ];
  return `; contact block received (${stated.length > 0 ? stated.join(', ') : 'no consent statements'}) for customer.contact.v1`;
}

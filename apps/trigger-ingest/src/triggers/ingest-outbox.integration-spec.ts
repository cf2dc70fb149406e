import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  Topics,
  type AuditEvent,
  type CaseTriggered,
  type CustomerContact,
  type CustomerFacts,
  type CustomerKey,
} from '@closeout/contracts';
import { KafkaClient, kafkaConnectionFromEnv, positionGroupsAtEnd, type Subscription } from '@closeout/kafka';
import { OutboxRelay, type RelayLogger } from '@closeout/outbox';
import { dataSourceOptions, migrate, type DatabaseOptions } from '@closeout/platform';
import { findContactPoints, verifyKnownFact, type KnownFactName } from '@closeout/privacy';
import { caseIdOf } from '../ingest/case-id';
import { defaultTriggerMappings } from '../ingest/trigger-mappings';
import { TriggerRefusedError } from '../ingest/trigger-refused.error';
import { ingestMigrations } from '../persistence/ingest.migrations';
import { IngestTriggerUseCase, type IngestChannel } from './ingest-trigger.use-case';

/**
 * trigger-ingest's decision and its messages commit together: the use case against a freshly migrated schema of its
 * own, the shared OutboxRelay publishing to the real Kafka and registry, and an observer reading what downstream sees.
 */
const run = randomUUID().slice(0, 8);
const billing = `billing-outbox-${run}`;
const schema = `ingest_it_${randomBytes(4).toString('hex')}`;
const channel: IngestChannel = { kind: 'http', principal: billing, sources: [billing] };
const quiet: RelayLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'upstream', 'fixtures', 'ok', 'billing.payment_failed.v1.json'), 'utf8'),
) as Record<string, unknown>;
const event = (eventId: string): Record<string, unknown> => ({
  ...fixture,
  sourceSystem: billing,
  eventId: `${eventId}-${run}`,
});
const caseOf = (e: Record<string, unknown>) => caseIdOf(billing, e['eventId'] as string);

const withContactFixture = JSON.parse(
  readFileSync(
    join(__dirname, '..', 'upstream', 'fixtures', 'ok', 'billing.payment_failed.v1.with-contact.json'),
    'utf8',
  ),
) as { customer: Record<string, unknown> & { contact: Record<string, unknown> } };
/** An event with the fixture's contact block, for a customer of this run only. */
const contactEvent = (eventId: string, contact: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...event(eventId),
  customer: {
    ...withContactFixture.customer,
    customerId: `cust-${eventId}-${run}`,
    contact: { ...withContactFixture.customer.contact, ...contact },
  },
});

/** An event stating the customer's date of birth and postcode, for a customer of this run only. */
const factsEvent = (eventId: string, knownFacts: Record<string, unknown>): Record<string, unknown> => ({
  ...event(eventId),
  customer: {
    ...(fixture['customer'] as Record<string, unknown>),
    customerId: `cust-${eventId}-${run}`,
    knownFacts,
  },
});
/** Every way the facts of these tests could be written down raw. */
const RAW_FACTS = ['1984-03-12', '12/03/1984', '19840312', 'SW1A 1AA', 'SW1A1AA', 'sw1a'];

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const settle = (ms = 1_500) => new Promise((resolve) => setTimeout(resolve, ms));

describe('trigger-ingest through its transactional outbox (real PostgreSQL, Kafka and registry)', () => {
  const options: DatabaseOptions = {
    url: process.env['DATABASE_URL']!,
    schema,
    entities: [],
    migrations: ingestMigrations,
    poolSize: 4,
  };
  let db: DataSource;
  let kafka: KafkaClient;
  let ingest: IngestTriggerUseCase;
  const subscriptions: Subscription[] = [];
  const relays: OutboxRelay[] = [];
  const triggers: CaseTriggered[] = [];
  const audits: AuditEvent[] = [];
  const contacts: Array<{ key: CustomerKey; value: CustomerContact; correlationId: string }> = [];
  const facts: Array<{ key: CustomerKey; value: CustomerFacts; correlationId: string }> = [];
  const factsFor = (caseId: string) => facts.filter((f) => f.correlationId === caseId);

  const triggersFor = (caseId: string) => triggers.filter((t) => t.caseId === caseId);
  const contactsFor = (caseId: string) => contacts.filter((c) => c.correlationId === caseId);
  const auditsFor = (caseId: string, action: string) =>
    audits.filter((a) => a.caseId === caseId && a.action === action);
  const outboxRows = async (caseId: string): Promise<{ topic: string; published: boolean }[]> =>
    db.query(
      `SELECT topic, published_at IS NOT NULL AS published FROM outbox WHERE headers ->> 'correlationId' = $1 ORDER BY id`,
      [caseId],
    );
  /** A relay as the service runs one: a restart is a new relay on the same outbox. */
  const startRelay = async (): Promise<OutboxRelay> => {
    const relay = new OutboxRelay({
      dataSource: db,
      publish: (messages) => kafka.publisher.publishMany(messages),
      pollIntervalMs: 200,
      registry: new Registry(),
      logger: quiet,
    });
    relays.push(relay);
    await relay.start();
    return relay;
  };

  beforeAll(async () => {
    await migrate(options);
    db = await new DataSource(dataSourceOptions(options)).initialize();
    const connection = kafkaConnectionFromEnv(process.env);
    kafka = new KafkaClient({
      clientId: `trigger-ingest-outbox-it-${run}`,
      ...connection,
      schemaRegistryUrl: process.env['SCHEMA_REGISTRY_URL']!,
      consumerDefaults: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
      // As the service does at boot (app.module.ts): customer.facts.v1 and its DLQ exist before anything is relayed.
      topics: [Topics.customerFacts],
    });
    await kafka.start();
    await positionGroupsAtEnd(connection, [
      { groupId: `trigger-ingest-outbox-it-triggers-${run}`, topic: Topics.caseTriggered },
      { groupId: `trigger-ingest-outbox-it-audit-${run}`, topic: Topics.auditEvent },
      { groupId: `trigger-ingest-outbox-it-contact-${run}`, topic: Topics.customerContact },
      { groupId: `trigger-ingest-outbox-it-facts-${run}`, topic: Topics.customerFacts },
    ]);
    subscriptions.push(
      await kafka.subscriber.subscribe({
        groupId: `trigger-ingest-outbox-it-triggers-${run}`,
        topic: Topics.caseTriggered,
        handler: async (m) => {
          if (m.value.source.system === billing) triggers.push(m.value);
        },
      }),
      await kafka.subscriber.subscribe({
        groupId: `trigger-ingest-outbox-it-audit-${run}`,
        topic: Topics.auditEvent,
        handler: async (m) => {
          if (m.value.actor.id === billing) audits.push(m.value);
        },
      }),
      await kafka.subscriber.subscribe({
        groupId: `trigger-ingest-outbox-it-contact-${run}`,
        topic: Topics.customerContact,
        handler: async (m) => {
          if (m.value.sourceSystem === billing)
            contacts.push({ key: m.key, value: m.value, correlationId: m.headers.correlationId });
        },
      }),
      await kafka.subscriber.subscribe({
        groupId: `trigger-ingest-outbox-it-facts-${run}`,
        topic: Topics.customerFacts,
        handler: async (m) => {
          if (m.value.sourceSystem === billing)
            facts.push({ key: m.key, value: m.value, correlationId: m.headers.correlationId });
        },
      }),
    );
    await Promise.all(subscriptions.map((s) => s.whenPositioned()));
    ingest = new IngestTriggerUseCase(db, defaultTriggerMappings(), new Set([billing]), 'trigger-ingest');
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await kafka?.close();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db?.destroy();
  });

  it('publishes an accepted trigger and its audit event exactly once, across a relay restart', async () => {
    const first = event('before-restart');
    const second = event('while-down');
    const relay = await startRelay();

    expect(await ingest.execute(first, channel)).toEqual({ caseId: caseOf(first), duplicate: false });
    await eventually(
      () =>
        triggersFor(caseOf(first)).length === 1 && auditsFor(caseOf(first), 'trigger.accepted').length === 1,
    );

    // The relay goes down (as with its service); triggers are still accepted, durably, and wait in the outbox.
    await relay.stop();
    expect(await ingest.execute(second, channel)).toEqual({ caseId: caseOf(second), duplicate: false });
    expect(await ingest.execute(first, channel)).toEqual({ caseId: caseOf(first), duplicate: true });
    await settle();
    expect(triggersFor(caseOf(second))).toEqual([]);
    expect(await outboxRows(caseOf(second))).toEqual([
      { topic: Topics.caseTriggered, published: false },
      { topic: Topics.auditEvent, published: false },
    ]);

    // A new relay takes the outbox over: what waited goes out, what was published before does not go again.
    await startRelay();
    await eventually(
      () =>
        triggersFor(caseOf(second)).length === 1 &&
        auditsFor(caseOf(second), 'trigger.accepted').length === 1 &&
        auditsFor(caseOf(first), 'trigger.duplicate').length === 1,
    );
    await settle();

    expect(triggersFor(caseOf(first))).toHaveLength(1);
    expect(triggersFor(caseOf(second))).toHaveLength(1);
    expect(auditsFor(caseOf(first), 'trigger.accepted')).toHaveLength(1);
    expect(auditsFor(caseOf(second), 'trigger.accepted')).toHaveLength(1);
    expect(auditsFor(caseOf(first), 'trigger.duplicate')).toHaveLength(1);
    expect(triggersFor(caseOf(second))[0]).toMatchObject({
      caseId: caseOf(second),
      workflowId: 'failed-payment-recovery',
      source: { system: billing, eventId: second['eventId'], mappingVersion: 'billing.payment_failed@v1.1' },
    });
    expect(auditsFor(caseOf(second), 'trigger.accepted')[0]).toMatchObject({
      service: 'trigger-ingest',
      outcome: 'SUCCESS',
      correlationId: caseOf(second),
      references: { sourceEventId: second['eventId'], channel: 'http' },
    });
    expect((await outboxRows(caseOf(second))).every((row) => row.published)).toBe(true);
  });

  it('publishes nothing for a trigger whose transaction fails, and accepts the sender’s retry', async () => {
    const doomed = event('doomed');
    await startRelay();
    // The commit itself fails, after the source event and its outbox messages were written in the transaction.
    await db.query(`CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$`);
    await db.query(`CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON source_event
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()`);

    await expect(ingest.execute(doomed, channel)).rejects.toThrow('commit refused by the test');
    await settle();

    expect(triggersFor(caseOf(doomed))).toEqual([]);
    expect(audits.filter((a) => a.caseId === caseOf(doomed))).toEqual([]);
    expect(await outboxRows(caseOf(doomed))).toEqual([]);
    expect(await db.query(`SELECT 1 FROM source_event WHERE case_id = $1`, [caseOf(doomed)])).toEqual([]);

    // Nothing was recorded, so the retry is a new trigger, published once.
    await db.query(`DROP TRIGGER refuse_commit ON source_event`);
    expect(await ingest.execute(doomed, channel)).toEqual({ caseId: caseOf(doomed), duplicate: false });
    await eventually(
      () =>
        triggersFor(caseOf(doomed)).length === 1 &&
        auditsFor(caseOf(doomed), 'trigger.accepted').length === 1,
    );
    await settle();
    expect(triggersFor(caseOf(doomed))).toHaveLength(1);
    expect(auditsFor(caseOf(doomed), 'trigger.accepted')).toHaveLength(1);
  });

  it('publishes a contact block once on customer.contact.v1 (E.164, consents), never on case.triggered.v1; a duplicate adds nothing', async () => {
    const withContact = contactEvent('contact');
    const caseId = caseOf(withContact);
    const customerId = (withContact['customer'] as { customerId: string }).customerId;
    await startRelay();

    expect(await ingest.execute(withContact, channel)).toEqual({ caseId, duplicate: false });
    await eventually(
      () =>
        triggersFor(caseId).length === 1 &&
        contactsFor(caseId).length === 1 &&
        auditsFor(caseId, 'trigger.accepted').length === 1,
    );
    expect(contactsFor(caseId)[0]).toEqual({
      key: { customerId },
      correlationId: caseId,
      value: {
        eventId: expect.stringMatching(/^cnt_[0-9a-f]{24}$/),
        occurredAt: Date.parse('2025-01-15T09:30:00.000Z'),
        correlationId: caseId,
        causationId: null,
        customerId,
        sourceSystem: billing,
        sourceEventId: withContact['eventId'],
        email: 'jane.doe@example.com',
        phone: '+442079460958',
        timeZone: 'Europe/London',
        locale: 'en-GB',
        consents: [
          {
            channel: 'SMS',
            purpose: 'collections',
            granted: true,
            source: 'online-banking',
            statedAt: Date.parse('2024-11-02T14:05:00.000Z'),
          },
          {
            channel: 'EMAIL',
            purpose: 'collections',
            granted: false,
            source: 'branch',
            statedAt: Date.parse('2024-12-01T09:00:00.000Z'),
          },
        ],
      },
    });
    // Downstream of case.triggered.v1 and in the audit trail: no contact point, only which kinds were received.
    const trigger = triggersFor(caseId)[0]!;
    expect(trigger.customer).toEqual({
      customerId,
      accountId: 'acc-7',
      locale: 'en-GB',
      timeZone: 'Europe/London',
    });
    expect(findContactPoints(JSON.stringify(trigger))).toEqual([]);
    const accepted = auditsFor(caseId, 'trigger.accepted')[0]!;
    expect(accepted.reason).toContain(
      'contact block received (email, phone, timeZone, locale, 2 consent statements)',
    );
    expect(findContactPoints(JSON.stringify(accepted))).toEqual([]);
    expect(JSON.stringify(accepted)).not.toContain('7946');

    // The same event again (its phone written otherwise) is a duplicate: nothing new is written or published.
    expect(await ingest.execute(contactEvent('contact', { phone: '+442079460958' }), channel)).toEqual({
      caseId,
      duplicate: true,
    });
    await eventually(() => auditsFor(caseId, 'trigger.duplicate').length === 1);
    await settle();
    expect(contactsFor(caseId)).toHaveLength(1);
    expect(triggersFor(caseId)).toHaveLength(1);
    expect((await outboxRows(caseId)).map((row) => row.topic)).toEqual([
      Topics.caseTriggered,
      Topics.customerContact,
      Topics.auditEvent,
      Topics.auditEvent,
    ]);
  });

  it('refuses an invalid phone number naming customer.contact.phone, and writes nothing but its audit event', async () => {
    const invalid = contactEvent('bad-phone', { phone: '+44 20 7946' });
    const caseId = caseOf(invalid);
    await startRelay();

    const refusal = await ingest.execute(invalid, channel).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(TriggerRefusedError);
    expect((refusal as TriggerRefusedError).problems).toEqual([
      { field: 'customer.contact.phone', rule: 'must be a valid phone number for its country code' },
    ]);
    expect((refusal as TriggerRefusedError).message).not.toContain('7946');
    // The refusal is audited (the event names its source and id), naming the field and never the value.
    await eventually(() => audits.some((a) => a.correlationId === caseId));
    const refusedAudit = audits.filter((a) => a.correlationId === caseId);
    expect(refusedAudit.map((a) => a.action)).toEqual(['trigger.refused']);
    expect(refusedAudit[0]!.reason).toContain('customer.contact.phone');
    expect(JSON.stringify(refusedAudit)).not.toContain('7946');
    await settle();
    expect(contactsFor(caseId)).toEqual([]);
    expect(triggersFor(caseId)).toEqual([]);
    // Only the refusal's audit event, written through the outbox like every other.
    expect((await outboxRows(caseId)).map((row) => row.topic)).toEqual([Topics.auditEvent]);
    expect(await db.query(`SELECT 1 FROM source_event WHERE case_id = $1`, [caseId])).toEqual([]);
  });

  it('publishes known facts once on customer.facts.v1 as salted hashes that verifyKnownFact accepts; no raw fact on any topic or in any ingest table', async () => {
    const stated = factsEvent('facts', { dateOfBirth: '1984-03-12', postalCode: 'SW1A 1AA' });
    const caseId = caseOf(stated);
    const customerId = (stated['customer'] as { customerId: string }).customerId;
    await startRelay();

    expect(await ingest.execute(stated, channel)).toEqual({ caseId, duplicate: false });
    await eventually(
      () =>
        triggersFor(caseId).length === 1 &&
        factsFor(caseId).length === 1 &&
        auditsFor(caseId, 'trigger.accepted').length === 1,
    );
    const [message] = factsFor(caseId);
    expect(message).toEqual({
      key: { customerId },
      correlationId: caseId,
      value: {
        eventId: expect.stringMatching(/^kfs_[0-9a-f]{24}$/),
        occurredAt: Date.parse('2025-01-15T09:30:00.000Z'),
        correlationId: caseId,
        causationId: null,
        customerId,
        sourceSystem: billing,
        sourceEventId: stated['eventId'],
        facts: [
          expect.objectContaining({ name: 'dateOfBirth', algorithm: 'scrypt:N=16384,r=8,p=1,len=32' }),
          expect.objectContaining({ name: 'postalCode', algorithm: 'scrypt:N=16384,r=8,p=1,len=32' }),
        ],
      },
    });
    const hashed = message!.value.facts.map((f) => ({ ...f, name: f.name as KnownFactName }));
    expect(await verifyKnownFact(hashed[0]!, '12/03/1984')).toBe(true);
    expect(await verifyKnownFact(hashed[0]!, '1984-03-13')).toBe(false);
    expect(await verifyKnownFact(hashed[1]!, 'sw1a1aa')).toBe(true);
    expect(await verifyKnownFact(hashed[1]!, 'SW1A 1AB')).toBe(false);

    // Nothing downstream holds a raw fact: not customer.facts.v1, case.triggered.v1 or the audit trail, which
    // names the facts received only.
    const accepted = auditsFor(caseId, 'trigger.accepted')[0]!;
    expect(accepted.reason).toContain('known facts received (dateOfBirth, postalCode) for customer.facts.v1');
    for (const published of [message, triggersFor(caseId)[0], accepted]) {
      const text = JSON.stringify(published).toLowerCase();
      for (const raw of RAW_FACTS)
        expect({ raw, found: text.includes(raw.toLowerCase()) }).toEqual({ raw, found: false });
    }

    // A repeat is a duplicate: no second statement.
    expect(await ingest.execute(stated, channel)).toEqual({ caseId, duplicate: true });
    await eventually(() => auditsFor(caseId, 'trigger.duplicate').length === 1);
    await settle();
    expect(factsFor(caseId)).toHaveLength(1);

    // No ingest table holds them, in any column or row (the outbox's customer.facts.v1 row holds the hashes only).
    const tables: { table_name: string }[] = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
      [schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['source_event', 'outbox']));
    for (const { table_name } of tables) {
      const [row] = (await db.query(
        `SELECT coalesce(string_agg(lower(t::text), ' '), '') AS text FROM "${schema}"."${table_name}" t`,
      )) as { text: string }[];
      for (const raw of RAW_FACTS)
        expect({ table_name, raw, found: row!.text.includes(raw.toLowerCase()) }).toEqual({
          table_name,
          raw,
          found: false,
        });
    }
    expect((await outboxRows(caseId)).map((row) => row.topic)).toEqual([
      Topics.caseTriggered,
      Topics.customerFacts,
      Topics.auditEvent,
      Topics.auditEvent,
    ]);
  });

  it('refuses a malformed date of birth naming customer.knownFacts.dateOfBirth, never the value, and writes nothing but its audit event', async () => {
    const invalid = factsEvent('bad-facts', { dateOfBirth: '12/31/1984' });
    const caseId = caseOf(invalid);
    await startRelay();

    const refusal = await ingest.execute(invalid, channel).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(TriggerRefusedError);
    expect((refusal as TriggerRefusedError).problems).toEqual([
      {
        field: 'customer.knownFacts.dateOfBirth',
        rule: 'must be a date of birth as YYYY-MM-DD (or DD/MM/YYYY), between 1900 and today',
      },
    ]);
    await eventually(() => audits.some((a) => a.correlationId === caseId));
    const refusedAudit = audits.filter((a) => a.correlationId === caseId);
    expect(refusedAudit.map((a) => a.action)).toEqual(['trigger.refused']);
    expect(JSON.stringify(refusedAudit)).not.toContain('12/31/1984');
    await settle();
    expect(factsFor(caseId)).toEqual([]);
    // Only the refusal's audit event, written through the outbox like every other.
    expect((await outboxRows(caseId)).map((row) => row.topic)).toEqual([Topics.auditEvent]);
    expect(await db.query(`SELECT 1 FROM source_event WHERE case_id = $1`, [caseId])).toEqual([]);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { Topics, type AuditEvent, type CaseTriggered, type CustomerContact } from '@closeout/contracts';
import { KafkaClient, positionGroupsAtEnd, type Subscription, kafkaConnectionFromEnv, kafkajsConnection } from '@closeout/kafka';
import { caseIdOf } from '../ingest/case-id';
import { upstreamCatalog, type UpstreamTopic } from './upstream-topics';

// Tests read the environment the integration global setup resolved; they have no config module of their own.
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (the integration global setup does it)`);
  return value;
};

const run = randomUUID().slice(0, 8);
const billing = `billing-core-${run}`;
const avroTopic = `it.billing.${run}.v1`;
const jsonTopic = `it.collections.${run}.v1`;
const upstream: UpstreamTopic[] = [
  { topic: avroTopic, format: 'avro', sourceSystem: billing },
  { topic: jsonTopic, format: 'json' },
];
const token = `it-token-${randomUUID()}`;
const otherToken = `it-other-${randomUUID()}`;
const fastConsumer = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  maxWaitTimeMs: 100,
};

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;

/** A fixture with this run's ids, so reruns never meet an earlier run's dedupe rows. */
function event(
  name: string,
  eventId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...fixture(name), sourceSystem: billing, eventId: `${eventId}-${run}`, ...overrides };
}

function without(fields: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy = { ...fields };
  delete copy[name];
  return copy;
}

/** The Avro record form of a JSON fixture: epoch-millis timestamp, nulls for absent optionals. */
function avroRecord(json: Record<string, unknown>): Record<string, unknown> {
  const customer = json['customer'] as Record<string, unknown>;
  return {
    eventVersion: 1,
    attributes: {},
    amount: null,
    amountDue: null,
    ...json,
    occurredAt: Date.parse(json['occurredAt'] as string),
    customer: { accountId: null, locale: null, timeZone: null, ...customer },
  };
}

async function eventually(condition: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

const raw = new Kafka({
  clientId: `trigger-ingest-it-${run}`,
  ...kafkajsConnection(kafkaConnectionFromEnv(process.env)),
  logLevel: logLevel.NOTHING,
});

/** Reads a (fresh, small) topic from the beginning with plain kafkajs until `count` messages are in. */
async function readAll(topic: string, count: number, timeoutMs = 20_000): Promise<KafkaMessage[]> {
  const consumer = raw.consumer({
    groupId: `trigger-ingest-it-reader-${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const collected: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        collected.push(message);
      },
    });
    await eventually(() => collected.length >= count, timeoutMs);
    return collected;
  } finally {
    await consumer.disconnect();
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

interface RunningService {
  child: ChildProcess;
  output: string[];
}

/**
 * The real service, booted from main.ts as a deployment runs it. Not in-process: @nestjs/typeorm 12 ships only
 * ES modules, which Jest's CommonJS runtime cannot load (Node itself can), so the app module cannot be imported
 * into a Jest test without a workspace-wide transform for it.
 */
/**
 * As deployed, the service connects as its own Kafka user: under the devstack's SASL listener, trigger-ingest's SCRAM
 * user, whose password file lies next to the tests' own (KAFKA_SASL_PASSWORD_FILE).
 */
function ownKafkaCredentials(): Record<string, string> {
  const testsPasswordFile = process.env['KAFKA_SASL_PASSWORD_FILE'];
  if (!process.env['KAFKA_SECURITY_PROTOCOL']?.startsWith('SASL_') || !testsPasswordFile) return {};
  return {
    KAFKA_SASL_USERNAME: 'trigger-ingest',
    KAFKA_SASL_PASSWORD_FILE: join(dirname(testsPasswordFile), 'trigger-ingest.password'),
  };
}

async function startService(env: Record<string, string>): Promise<RunningService> {
  const root = join(__dirname, '..', '..', '..', '..');
  const output: string[] = [];
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/trigger-ingest/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...ownKafkaCredentials(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`trigger-ingest exited with ${child.exitCode}:\n${output.join('').slice(-4000)}`);
    }
    const ready = await fetch(`http://127.0.0.1:${env['HTTP_PORT']}/health/ready`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready) return { child, output };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`trigger-ingest was not ready within 45 s:\n${output.join('').slice(-4000)}`);
}

async function stopService({ child }: RunningService): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

describe('trigger-ingest consuming upstream topics (real Kafka, registry and PostgreSQL)', () => {
  let service: RunningService | undefined;
  let baseUrl = '';
  let upstreamKafka: KafkaClient;
  let observer: KafkaClient;
  const subscriptions: Subscription[] = [];
  const triggers: Array<{ value: CaseTriggered; correlationId: string }> = [];
  const audits: AuditEvent[] = [];
  const contacts: Array<{ value: CustomerContact; correlationId: string }> = [];
  const producer = raw.producer();

  /** Sends raw bytes as an upstream system would: a text key, no Closeout headers. */
  const send = (topic: string, ...values: Buffer[]) =>
    producer.send({ topic, messages: values.map((value) => ({ key: 'cust-42', value })) });
  const avro = (json: Record<string, unknown>) =>
    upstreamKafka.serde.encode(avroTopic, 'value', avroRecord(json));
  const triggersFor = (caseId: string) => triggers.filter((t) => t.value.caseId === caseId);
  const auditsFor = (caseId: string, action: string) =>
    audits.filter((a) => a.correlationId === caseId && a.action === action);

  beforeAll(async () => {
    const connection = kafkaConnectionFromEnv(process.env);
    const registryUrl = env('SCHEMA_REGISTRY_URL');
    // What the systems downstream of trigger-ingest see: case.triggered.v1 and the audit trail, decoded via the registry.
    observer = new KafkaClient({
      clientId: `trigger-ingest-it-observer-${run}`,
      ...connection,
      schemaRegistryUrl: registryUrl,
      consumerDefaults: fastConsumer,
    });
    // On a new cluster nothing has created these topics yet: create them (as a service does on start) and start the
    // observer's groups at their end, so the test neither fails to subscribe nor reads an earlier run's traffic.
    await positionGroupsAtEnd(connection, [
      { groupId: `trigger-ingest-it-triggers-${run}`, topic: Topics.caseTriggered },
      { groupId: `trigger-ingest-it-audit-${run}`, topic: Topics.auditEvent },
      { groupId: `trigger-ingest-it-contact-${run}`, topic: Topics.customerContact },
    ]);
    subscriptions.push(
      await observer.subscriber.subscribe({
        groupId: `trigger-ingest-it-triggers-${run}`,
        topic: Topics.caseTriggered,
        handler: async (m) => {
          if (m.value.source.system === billing)
            triggers.push({ value: m.value, correlationId: m.headers.correlationId });
        },
      }),
      await observer.subscriber.subscribe({
        groupId: `trigger-ingest-it-audit-${run}`,
        topic: Topics.auditEvent,
        handler: async (m) => {
          // This run's sources and principals only: the devstack's audit topic carries every other run's too.
          if (m.value.service === 'trigger-ingest' && [billing, 'other'].includes(m.value.actor.id)) audits.push(m.value);
        },
      }),
      await observer.subscriber.subscribe({
        groupId: `trigger-ingest-it-contact-${run}`,
        topic: Topics.customerContact,
        handler: async (m) => {
          if (m.value.sourceSystem === billing) contacts.push({ value: m.value, correlationId: m.headers.correlationId });
        },
      }),
    );
    await Promise.all(subscriptions.map((s) => s.whenPositioned()));
    // The sample upstream feed's producer: Avro values in Confluent wire format, registered under <topic>-value.
    upstreamKafka = new KafkaClient({
      clientId: `trigger-ingest-it-upstream-${run}`,
      ...connection,
      schemaRegistryUrl: registryUrl,
      catalog: upstreamCatalog(upstream),
    });
    await producer.connect();

    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // The service reads KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL from the environment the global setup resolved.
    service = await startService({
      SERVICE_NAME: 'trigger-ingest',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
      // The token names the billing source; `other` may publish only for its own source system.
      INGEST_API_TOKENS: `${billing}=${token},other=${otherToken}`,
      INGEST_UPSTREAM_TOPICS: JSON.stringify(upstream),
    });
  });

  afterAll(async () => {
    if (service) await stopService(service);
    await Promise.all(subscriptions.map((s) => s.stop()));
    await Promise.allSettled([observer?.close(), upstreamKafka?.close(), producer.disconnect()]);
    // The test's upstream topics carry card numbers on purpose: they go, so a later personal-data scan of the
    // devstack finds only what the platform itself keeps.
    const admin = raw.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    await admin
      .deleteTopics({ topics: [avroTopic, jsonTopic, `${avroTopic}.dlq`, `${jsonTopic}.dlq`].filter((t) => existing.has(t)) })
      .finally(() => admin.disconnect());
  });

  it('turns an Avro upstream event into exactly one case.triggered.v1, whether it is re-published or also posted over HTTP', async () => {
    const v2 = event('ok/billing.payment_failed.v2.json', 'avro-v2');
    const caseId = caseIdOf(billing, v2['eventId'] as string);
    const bytes = await avro(v2);
    await send(avroTopic, bytes, bytes);

    expect(await eventually(() => auditsFor(caseId, 'trigger.duplicate').length >= 1)).toBe(true);
    const http = await request(baseUrl)
      .post('/v1/triggers')
      .set('authorization', `Bearer ${token}`)
      .send(v2)
      .expect(200);
    expect(http.body).toEqual({ caseId, duplicate: true });
    expect(await eventually(() => auditsFor(caseId, 'trigger.duplicate').length >= 2)).toBe(true);
    // The trigger was published before the first duplicate was decided; give a second one time to show up.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    expect(triggersFor(caseId)).toHaveLength(1);
    const [{ value, correlationId }] = triggersFor(caseId) as [
      { value: CaseTriggered; correlationId: string },
    ];
    expect(correlationId).toBe(caseId);
    expect(value).toMatchObject({
      caseId,
      correlationId: caseId,
      workflowId: 'failed-payment-recovery',
      occurredAt: Date.parse('2025-01-15T09:30:00.000Z'),
      source: {
        system: billing,
        eventId: v2['eventId'],
        eventType: 'billing.payment_failed',
        mappingVersion: 'billing.payment_failed@v2.1',
      },
      customer: { customerId: 'cust-42', accountId: 'acc-7' },
      amount: { amountMinor: 4599, currency: 'GBP' },
      attributes: { invoiceId: 'inv-1001' },
    });
    expect(auditsFor(caseId, 'trigger.accepted')).toHaveLength(1);

    const db = new Client({ connectionString: env('DATABASE_URL') });
    await db.connect();
    try {
      const { rows } = await db.query(
        'SELECT mapping_version, event_version, channel FROM ingest.source_event WHERE source_system = $1 AND event_id = $2',
        [billing, v2['eventId']],
      );
      expect(rows).toEqual([
        { mapping_version: 'billing.payment_failed@v2.1', event_version: 2, channel: avroTopic },
      ]);
    } finally {
      await db.end();
    }
  });

  it('turns a JSON upstream event into one case.triggered.v1', async () => {
    const v1 = event('ok/billing.payment_failed.v1.json', 'json-v1', {
      amount: { amountMinor: 1000, currency: 'JPY' },
    });
    const caseId = caseIdOf(billing, v1['eventId'] as string);
    await send(jsonTopic, Buffer.from(JSON.stringify(v1)));

    expect(await eventually(() => triggersFor(caseId).length >= 1)).toBe(true);
    expect(triggersFor(caseId).map((t) => t.value)).toEqual([
      expect.objectContaining({
        workflowId: 'failed-payment-recovery',
        source: expect.objectContaining({ mappingVersion: 'billing.payment_failed@v1.1' }),
        amount: { amountMinor: 1000, currency: 'JPY' },
      }),
    ]);
  });

  it('sends undecodable, invalid and unmapped events to <topic>.dlq with the reason, and keeps consuming', async () => {
    const tooPrecise = event('not-ok/billing.payment_failed.v2.too-precise.json', 'avro-too-precise');
    const unmappedType = event('not-ok/unknown-event-type.json', 'avro-unmapped');
    const goodAvro = event('ok/billing.payment_failed.v2.json', 'avro-after-bad');
    // Written with another schema (a Closeout case key): the registry knows it, but it is no upstream billing event.
    const foreign = await observer.serde.encode(Topics.caseTriggered, 'key', { caseId: 'case-foreign' });
    await send(
      avroTopic,
      Buffer.from('{"this":"is not avro"}'),
      foreign,
      await avro(tooPrecise),
      await avro(unmappedType),
      await avro(goodAvro),
    );

    const withoutCustomer = without(event('ok/billing.payment_failed.v1.json', 'json-invalid'), 'customer');
    const unmappedVersion = event('not-ok/billing.payment_failed.v3.json', 'json-unmapped');
    const goodJson = event('ok/billing.payment_failed.v1.json', 'json-after-bad');
    await send(
      jsonTopic,
      Buffer.from('{"eventId": "half a message'),
      Buffer.from(JSON.stringify(withoutCustomer)),
      Buffer.from(JSON.stringify(unmappedVersion)),
      Buffer.from(JSON.stringify(goodJson)),
    );

    const reasons = (letters: KafkaMessage[]) =>
      letters.map((l) => [
        l.headers?.['dlq-reason-class']?.toString(),
        l.headers?.['dlq-reason']?.toString(),
      ]);
    expect(reasons(await readAll(`${avroTopic}.dlq`, 4))).toEqual([
      ['bad-magic-byte', expect.stringContaining('magic byte is 123')],
      [
        'schema-mismatch',
        expect.stringContaining(
          `cannot be read as ${avroTopic}-value (io.closeout.upstream.billing.UpstreamBillingEvent)`,
        ),
      ],
      [
        'poison',
        expect.stringContaining('amountDue.value: GBP has 2 decimal places: the amount cannot be expressed'),
      ],
      ['poison', expect.stringContaining('eventType: no trigger mapping for this eventType')],
    ]);
    expect(reasons(await readAll(`${jsonTopic}.dlq`, 3))).toEqual([
      ['bad-json', expect.stringContaining('not JSON')],
      ['poison', expect.stringMatching(/^handler rejected the message: customer: /)],
      [
        'poison',
        expect.stringContaining(
          "eventVersion: no trigger mapping for eventType 'billing.payment_failed' at this eventVersion",
        ),
      ],
    ]);

    // The consumers kept going: the good events behind the bad ones became cases.
    for (const good of [goodAvro, goodJson]) {
      expect(
        await eventually(() => triggersFor(caseIdOf(billing, good['eventId'] as string)).length === 1),
      ).toBe(true);
    }
    // A refused event that names its source and id is audited as denied, with the reason.
    expect(
      await eventually(
        () =>
          auditsFor(caseIdOf(billing, unmappedVersion['eventId'] as string), 'trigger.refused').length === 1,
      ),
    ).toBe(true);
    expect(auditsFor(caseIdOf(billing, tooPrecise['eventId'] as string), 'trigger.refused')).toEqual([
      expect.objectContaining({
        outcome: 'DENIED',
        reason: expect.stringContaining('TRIGGER_INVALID: amountDue.value'),
      }),
    ]);
  });

  it('answers HTTP: 401 without a token, 400 problem+json naming the field, 422 when unmapped, 202 then 200', async () => {
    const http = () => request(baseUrl).post('/v1/triggers');
    const authed = () => http().set('authorization', `Bearer ${token}`);

    await http().send(event('ok/billing.payment_failed.v2.json', 'http-unauth')).expect(401);

    const invalid = await authed()
      .send(event('not-ok/billing.payment_failed.v2.too-precise.json', 'http-invalid'))
      .expect(400);
    expect(invalid.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(invalid.body).toMatchObject({
      status: 400,
      errors: [{ field: 'amountDue.value', rule: expect.stringContaining('GBP has 2 decimal places') }],
    });
    const withoutId = without(event('ok/billing.payment_failed.v1.json', 'http-no-id'), 'eventId');
    const noId = await authed().send(withoutId).expect(400);
    expect(noId.body.errors).toEqual([expect.objectContaining({ field: 'eventId' })]);

    const unmapped = await authed()
      .send(event('not-ok/billing.payment_failed.v3.json', 'http-unmapped'))
      .expect(422);
    expect(unmapped.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unmapped.body.errors).toEqual([
      {
        field: 'eventVersion',
        rule: expect.stringContaining("eventType 'billing.payment_failed' at this eventVersion"),
      },
    ]);

    const unversioned = event('ok/billing.payment_failed.unversioned.json', 'http-ok');
    const caseId = caseIdOf(billing, unversioned['eventId'] as string);
    expect((await authed().send(unversioned).expect(202)).body).toEqual({ caseId, duplicate: false });
    expect((await authed().send(unversioned).expect(200)).body).toEqual({ caseId, duplicate: true });
    expect(await eventually(() => triggersFor(caseId).length === 1)).toBe(true);
    expect(triggersFor(caseId)[0]?.value.source.mappingVersion).toBe('billing.payment_failed@v1.1');
  });

  it('counts accepted, duplicate and refused events per channel and source system on /metrics', async () => {
    const text = (await request(baseUrl).get('/metrics').expect(200)).text;
    const count = (outcome: string, channel: string): number => {
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('closeout_ingest_triggers_total{') &&
            l.includes(`outcome="${outcome}"`) &&
            l.includes(`channel="${channel}"`) &&
            l.includes(`source_system="${billing}"`),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    };
    expect({
      avro: [count('accepted', avroTopic), count('duplicate', avroTopic), count('refused', avroTopic)],
      json: [count('accepted', jsonTopic), count('duplicate', jsonTopic), count('refused', jsonTopic)],
      http: [count('accepted', 'http'), count('duplicate', 'http'), count('refused', 'http')],
    }).toEqual({ avro: [2, 1, 2], json: [2, 0, 2], http: [1, 2, 3] });
  });

  it('binds sources to tokens, refuses conflicting duplicates (409 + audit), refuses a card number in an id and masks one in free text', async () => {
    const authed = (t = token) => request(baseUrl).post('/v1/triggers').set('authorization', `Bearer ${t}`);

    const foreignEvent = event('ok/billing.payment_failed.v1.json', 'http-foreign');
    const foreign = await authed(otherToken).send(foreignEvent).expect(403);
    expect(foreign.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(foreign.body.errors).toEqual([{ field: 'sourceSystem', rule: expect.any(String) }]);
    // The attempt is a security event: audited under the caller's principal, naming the source it claimed.
    const foreignCase = caseIdOf(billing, foreignEvent['eventId'] as string);
    expect(
      await eventually(() =>
        auditsFor(foreignCase, 'trigger.forbidden').some(
          (a) => a.actor.id === 'other' && a.outcome === 'DENIED' && a.references['claimedSourceSystem'] === billing,
        ),
      ),
    ).toBe(true);

    const first = event('ok/billing.payment_failed.v1.json', 'http-conflict');
    const caseId = caseIdOf(billing, first['eventId'] as string);
    await authed().send(first).expect(202);
    await authed().send(first).expect(200);
    const changed = { ...first, attributes: { invoiceId: 'inv-9999' } };
    const conflict = await authed().send(changed).expect(409);
    expect(conflict.body.errors).toEqual([{ field: 'eventId', rule: expect.any(String) }]);
    expect(JSON.stringify(conflict.body)).not.toContain('inv-9999');
    expect(await eventually(() => auditsFor(caseId, 'trigger.conflict').length === 1)).toBe(true);
    expect(JSON.stringify(auditsFor(caseId, 'trigger.conflict'))).not.toContain('inv-9999');

    const pan = '4111111111111111';
    const panInId = await authed()
      .send(event('ok/billing.payment_failed.v1.json', `id-${pan}`))
      .expect(400);
    expect(panInId.body.errors).toEqual([{ field: 'eventId', rule: 'must not contain a card number' }]);
    expect(JSON.stringify(panInId.body)).not.toContain(pan);

    const withPan = event('ok/billing.payment_failed.v1.json', 'http-pan', {
      attributes: { invoiceId: 'inv-1001', note: `paid with ${pan}, mail jane.doe@example.com` },
    });
    const panCase = caseIdOf(billing, withPan['eventId'] as string);
    const accepted = await authed().send(withPan).expect(202);
    expect(accepted.body).toEqual({ caseId: panCase, duplicate: false, masked: ['attributes.note'] });
    expect(await eventually(() => triggersFor(panCase).length === 1)).toBe(true);
    const published = JSON.stringify(triggersFor(panCase)[0]?.value);
    expect(published).not.toContain(pan);
    expect(published).not.toContain('jane.doe@example.com');
    expect(triggersFor(panCase)[0]?.value.attributes['note']).toBe(
      'paid with ************1111, mail j***@e***.com',
    );
    const db = new Client({ connectionString: env('DATABASE_URL') });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT * FROM ingest.source_event WHERE case_id = $1', [panCase]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(pan);
    } finally {
      await db.end();
    }
    const metrics = (await request(baseUrl).get('/metrics').expect(200)).text;
    expect(metrics).not.toContain(pan);
  });

  it('dead-letters a conflicting Kafka event once and audits it; a card number in an id is refused without a dead letter', async () => {
    const topic = jsonTopic;
    const first = event('ok/billing.payment_failed.v1.json', 'kafka-conflict');
    const caseId = caseIdOf(billing, first['eventId'] as string);
    const changed = { ...first, attributes: { invoiceId: 'inv-other' } };
    const pan = '5500000000000004';
    const panInId = event('ok/billing.payment_failed.v1.json', `kafka-${pan}`);
    await send(topic, Buffer.from(JSON.stringify(first)));
    expect(await eventually(() => triggersFor(caseId).length === 1)).toBe(true);
    await send(topic, Buffer.from(JSON.stringify(changed)), Buffer.from(JSON.stringify(panInId)));
    expect(await eventually(() => auditsFor(caseId, 'trigger.conflict').length === 1)).toBe(true);

    // Three letters from the earlier test and the conflict: waiting for a fifth gives a PAN letter the time to appear.
    const letters = await readAll(`${topic}.dlq`, 5, 5_000);
    const conflicts = letters.filter((l) => l.value?.toString().includes(first['eventId'] as string));
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.headers?.['dlq-reason']?.toString()).toContain('eventId: already used');
    expect(letters.some((l) => l.value?.toString().includes(pan))).toBe(false);
  });

  it('publishes a posted contact block on customer.contact.v1; refuses a bad phone over HTTP (400) and Kafka (DLQ), naming the field only', async () => {
    const authed = () => request(baseUrl).post('/v1/triggers').set('authorization', `Bearer ${token}`);
    const withContact = event('ok/billing.payment_failed.v1.with-contact.json', 'http-contact');
    const caseId = caseIdOf(billing, withContact['eventId'] as string);
    expect((await authed().send(withContact).expect(202)).body).toEqual({ caseId, duplicate: false });
    expect((await authed().send(withContact).expect(200)).body).toEqual({ caseId, duplicate: true });
    expect(await eventually(() => contacts.some((c) => c.correlationId === caseId))).toBe(true);
    expect(await eventually(() => triggersFor(caseId).length === 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(contacts.filter((c) => c.correlationId === caseId).map((c) => c.value)).toEqual([
      expect.objectContaining({
        customerId: 'cust-42',
        sourceEventId: withContact['eventId'],
        email: 'jane.doe@example.com',
        phone: '+442079460958',
        consents: [
          expect.objectContaining({ channel: 'SMS', granted: true }),
          expect.objectContaining({ channel: 'EMAIL', granted: false }),
        ],
      }),
    ]);
    expect(JSON.stringify(triggersFor(caseId)[0]?.value)).not.toMatch(/jane\.doe|7946/);

    const badPhone = event('not-ok/contact-national-phone.json', 'http-bad-phone');
    const problem = await authed().send(badPhone).expect(400);
    expect(problem.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problem.body.errors).toEqual([
      { field: 'customer.contact.phone', rule: expect.stringContaining('international form') },
    ]);
    expect(JSON.stringify(problem.body)).not.toMatch(/7946|jane\.doe/);

    // The same rule on an upstream topic: the event goes to the DLQ with the field and rule as its reason.
    const kafkaBadPhone = event('not-ok/contact-national-phone.json', 'kafka-bad-phone');
    await send(jsonTopic, Buffer.from(JSON.stringify(kafkaBadPhone)));
    // Four letters from the earlier tests, then this one (matched by its event id: the DLQ keeps the original bytes).
    const letters = await readAll(`${jsonTopic}.dlq`, 5);
    const letter = letters.filter((l) => l.value?.toString().includes(kafkaBadPhone['eventId'] as string));
    expect(letter).toHaveLength(1);
    const reason = letter[0]?.headers?.['dlq-reason']?.toString() ?? '';
    expect(reason).toContain('customer.contact.phone: must be a phone number in international form');
    expect(reason).not.toMatch(/7946|jane\.doe/);
  });
});

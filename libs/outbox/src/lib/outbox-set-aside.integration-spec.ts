import { randomUUID } from 'node:crypto';
import { Registry, type Counter, type Gauge } from 'prom-client';
import { avroSchemas, Topics } from '@closeout/contracts';
import {
  KafkaClient,
  SchemaCatalog,
  type UntypedOutgoingEvent,
  kafkaConnectionFromEnv,
} from '@closeout/kafka';
import { freshOutboxSchema, type FreshOutboxSchema } from '../test-support/fresh-outbox-schema';
import { auditMessage, waitUntil } from '../test-support/outbox-test-messages';
import type { OutboxMessage } from './outbox-message';
import { OutboxRelay, type RelayLogger } from './outbox-relay';
import { OutboxSetAside } from './outbox-set-aside';

/** An audit event for `topic`, keyed by one of three correlation ids so several keys share the batch. */
const audit = (topic: string, n: number, value: Record<string, unknown> = {}): OutboxMessage =>
  auditMessage(n, { keys: 3, topic, occurredAt: 1_735_689_600_000 + n, value });

const eventId = (m: OutboxMessage) => (m.value as { eventId: string }).eventId;

const until = (condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> =>
  waitUntil(condition, timeoutMs, 20);

/** Records what the relay logs, to check what a log line carries. */
function recordingLogger(): RelayLogger & { errors: Array<{ obj: object; msg: string }> } {
  const errors: Array<{ obj: object; msg: string }> = [];
  return {
    errors,
    info: () => undefined,
    warn: () => undefined,
    error: (obj, msg) => void errors.push({ obj, msg }),
  };
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name) as Counter<string> | Gauge<string> | undefined;
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

describe('OutboxRelay setting aside what it can never publish (real PostgreSQL)', () => {
  let db: FreshOutboxSchema;
  const relays: OutboxRelay[] = [];

  beforeEach(async () => {
    db = await freshOutboxSchema();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await db.drop();
  });

  const relay = (options: Partial<ConstructorParameters<typeof OutboxRelay>[0]>) => {
    const r = new OutboxRelay({
      dataSource: db.dataSource,
      registry: new Registry(),
      logger: recordingLogger(),
      publish: async () => undefined,
      ...options,
    });
    relays.push(r);
    return r;
  };

  const outboxRows = async (): Promise<
    Array<{ event: string; published: boolean; set_aside_reason: string | null }>
  > =>
    db.dataSource.query(
      `SELECT value->>'eventId' AS event, published_at IS NOT NULL AS published, set_aside_reason
       FROM "${db.schema}".outbox ORDER BY id`,
    );

  describe('with real Kafka', () => {
    const topic = `test.outbox-${randomUUID().slice(0, 8)}.v1`;
    let kafka: KafkaClient;
    const received: string[] = [];

    beforeAll(async () => {
      const catalog = new SchemaCatalog();
      catalog.define(topic, {
        keySchema: avroSchemas['audit-key'],
        valueSchema: avroSchemas['audit.event.v1-value'],
      });
      kafka = new KafkaClient({
        clientId: `outbox-it-${topic}`,
        ...kafkaConnectionFromEnv(process.env),
        schemaRegistryUrl: process.env['SCHEMA_REGISTRY_URL']!,
        catalog,
        // One partition: the topic's order is the order the relay published in, across keys.
        topics: [{ topic, partitions: 1 }],
        consumerDefaults: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
      });
      await kafka.start();
      const subscription = await kafka.subscriber.subscribeToTopic<unknown, { eventId: string }>({
        groupId: `outbox-it-${topic}`,
        topic,
        fromBeginning: true,
        handler: async ({ value }) => void received.push(value.eventId),
      });
      await subscription.whenPositioned();
    });
    afterAll(() => kafka.close());

    it('sets aside an oversized and an unencodable message with their reasons, and publishes every other message in order', async () => {
      const messages = Array.from({ length: 12 }, (_, n) =>
        n === 4
          ? audit(topic, n, { reason: 'x'.repeat(1_100_000) }) // ~1.1 MB encoded: over the publisher's 1 MB limit
          : n === 8
            ? audit(topic, n, { occurredAt: 'yesterday' }) // not a long: Avro cannot encode it
            : audit(topic, n),
      );
      await db.enqueue(messages);
      const registry = new Registry();
      const logger = recordingLogger();
      const r = relay({
        registry,
        logger,
        pollIntervalMs: 50,
        publish: (batch) => kafka.publisher.publishManyToTopics(batch as UntypedOutgoingEvent[]),
      });

      await r.start();
      await until(async () => (await r.lag()).unpublished === 0);
      const expected = [
        'evt-0',
        'evt-1',
        'evt-2',
        'evt-3',
        'evt-5',
        'evt-6',
        'evt-7',
        'evt-9',
        'evt-10',
        'evt-11',
      ];
      await until(() => received.length >= expected.length);

      expect(received).toEqual(expected);
      const rows = await outboxRows();
      expect(rows.filter((row) => !row.published).map((row) => row.event)).toEqual(['evt-4', 'evt-8']);
      expect(rows[4]!.set_aside_reason).toMatch(
        new RegExp(
          `^too-large: a message for ${topic.replace(/\./g, '\\.')} is \\d+ bytes encoded, over the 1000000-byte limit$`,
        ),
      );
      expect(rows[8]!.set_aside_reason).toBe(
        `invalid-message: invalid value for ${topic}: occurredAt (type:long)`,
      );
      expect(await r.lag()).toMatchObject({ unpublished: 0, setAside: 2 });

      const schema = { schema: db.schema };
      expect(
        await metricValue(registry, 'closeout_outbox_set_aside_total', { ...schema, reason: 'too-large' }),
      ).toBe(1);
      expect(
        await metricValue(registry, 'closeout_outbox_set_aside_total', {
          ...schema,
          reason: 'invalid-message',
        }),
      ).toBe(1);
      expect(await metricValue(registry, 'closeout_outbox_set_aside_messages', schema)).toBe(2);
      expect(await metricValue(registry, 'closeout_outbox_published_total', schema)).toBe(10);

      // Logged with id, topic and reason: neither the oversized text nor the bad value reaches the log.
      expect(logger.errors.map((e) => (e.obj as { failure: string }).failure)).toEqual([
        'too-large',
        'invalid-message',
      ]);
      const logged = JSON.stringify(logger.errors);
      expect(logged).not.toContain('xxxxxxxx');
      expect(logged).not.toContain('yesterday');
    });
  });

  it('keeps what a transient failure interrupted while looking for the culprit, and finishes once the broker is back', async () => {
    await db.enqueue(Array.from({ length: 8 }, (_, n) => audit(Topics.auditEvent, n)));
    let brokerUp = true;
    const delivered: string[] = [];
    // evt-1 can never be published; the broker goes away after the first half of the batch is out.
    const publish = async (batch: OutboxMessage[]) => {
      if (!brokerUp) throw new Error('broker unavailable');
      if (batch.some((m) => eventId(m) === 'evt-1')) {
        throw Object.assign(new Error('bad message'), { permanent: true });
      }
      delivered.push(...batch.map(eventId));
      if (delivered.includes('evt-3')) brokerUp = false;
    };
    const classifyFailure = (error: unknown) =>
      (error as { permanent?: boolean }).permanent
        ? { class: 'invalid-message' as const, permanent: true, reason: 'bad message' }
        : { class: 'transient' as const, permanent: false, reason: 'broker unavailable' };
    const r = relay({ publish, classifyFailure, listen: false });

    await expect(r.relayBatch()).rejects.toThrow('broker unavailable');
    expect(delivered).toEqual(['evt-0', 'evt-2', 'evt-3']);
    const afterFailure = await outboxRows();
    expect(afterFailure.filter((row) => row.published).map((row) => row.event)).toEqual([
      'evt-0',
      'evt-2',
      'evt-3',
    ]);
    expect(afterFailure[1]!.set_aside_reason).toBe('invalid-message: bad message');

    brokerUp = true;
    await expect(r.relayBatch()).resolves.toMatchObject({ published: 4, setAside: [] });
    expect(delivered).toEqual(['evt-0', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-6', 'evt-7']);
  });

  it('bounds what it loads: batches cut by bytes, and a message too big to load set aside unread', async () => {
    await db.enqueue([
      audit(Topics.auditEvent, 0, { reason: 'a'.repeat(3_000) }),
      audit(Topics.auditEvent, 1, { reason: 'b'.repeat(3_000) }),
      audit(Topics.auditEvent, 2, { reason: 'c'.repeat(50_000) }),
      audit(Topics.auditEvent, 3, { reason: 'd'.repeat(3_000) }),
    ]);
    const batches: string[][] = [];
    const r = relay({
      listen: false,
      maxBatchBytes: 8_000,
      maxMessageBytes: 40_000,
      publish: async (batch) => void batches.push(batch.map(eventId)),
    });

    // evt-2 is set aside from its size alone; evt-3 would take the batch past 8 000 bytes and waits for the next.
    const first = await r.relayBatch();
    expect(first).toMatchObject({ published: 2, moreWaiting: true });
    expect(first.setAside.map((m) => m.failure.class)).toEqual(['too-large']);
    const second = await r.relayBatch();
    expect(second).toMatchObject({ published: 1, setAside: [], moreWaiting: false });
    expect(batches).toEqual([['evt-0', 'evt-1'], ['evt-3']]);
    const rows = await outboxRows();
    expect(rows[2]!.set_aside_reason).toMatch(
      /^too-large: the stored message is \d+ bytes of JSON, over the relay's 40000-byte limit$/,
    );
  });

  it('lets an operator list set-aside messages without their content, re-drive one and discard another', async () => {
    await db.enqueue(
      Array.from({ length: 4 }, (_, n) => audit(Topics.auditEvent, n, { reason: `secret-${n}` })),
    );
    let refuse = new Set(['evt-1', 'evt-2']);
    const delivered: string[] = [];
    const r = relay({
      listen: false,
      publish: async (batch) => {
        const bad = batch.find((m) => refuse.has(eventId(m)));
        if (bad) throw Object.assign(new Error('refused'), { permanent: true });
        delivered.push(...batch.map(eventId));
      },
      classifyFailure: () => ({ class: 'broker-rejected', permanent: true, reason: 'refused' }),
    });
    await r.relayBatch();
    const operator = new OutboxSetAside(db.dataSource, db.schema);

    const listed = await operator.list();
    expect(listed.map((e) => [e.topic, e.correlationId, e.reason])).toEqual([
      [Topics.auditEvent, 'corr-1', 'broker-rejected: refused'],
      [Topics.auditEvent, 'corr-2', 'broker-rejected: refused'],
    ]);
    expect(JSON.stringify(listed)).not.toContain('secret-');

    refuse = new Set();
    expect(await operator.redrive([listed[0]!.id, '999999'])).toEqual([listed[0]!.id]);
    expect(await operator.discard([listed[1]!.id])).toEqual([listed[1]!.id]);
    await r.relayBatch();

    expect(delivered).toEqual(['evt-0', 'evt-3', 'evt-1']);
    expect(await operator.list()).toEqual([]);
    expect(await r.lag()).toMatchObject({ unpublished: 0, setAside: 0 });
    expect((await outboxRows()).map((row) => row.event)).toEqual(['evt-0', 'evt-1', 'evt-3']);
  });
});

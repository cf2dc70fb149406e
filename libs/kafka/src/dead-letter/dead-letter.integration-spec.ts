import { register } from 'prom-client';
import type { CaseKey, WritebackRequested } from '@closeout/contracts';
import type { KafkaClient } from '../kafka-client';
import { PoisonMessageError } from '../kafka.errors';
import {
  eventually,
  publishRequests,
  rawKafka,
  readRaw,
  startTestClient,
  testTopic,
  unique,
  writebackRequested,
} from '../testing/integration';

async function dlqCount(topic: string, reasonClass: string): Promise<number> {
  const metric = await register.getSingleMetric('closeout_kafka_dlq_messages_total')?.get();
  return (
    metric?.values.find((v) => v.labels['topic'] === topic && v.labels['reason_class'] === reasonClass)
      ?.value ?? 0
  );
}

describe('dead-lettering on a real broker', () => {
  const topic = testTopic();
  let kafka: KafkaClient;

  beforeAll(async () => {
    // One partition: the poison messages and the good ones behind them share a partition, as they would share a case.
    kafka = await startTestClient([{ topic, partitions: 1 }]);
  });

  afterAll(() => kafka.close());

  it('sends undecodable and poison messages to <topic>.dlq with their reason and original bytes, and keeps handling good ones', async () => {
    const groupId = unique('dlq');
    const key = await kafka.serde.encode(topic, 'key', { caseId: 'case-dlq' });
    const good = await kafka.serde.encode(topic, 'value', writebackRequested(1));
    const schemaId = good.readInt32BE(1);
    const poison: Array<{ reason: string; key: Buffer | null; value: Buffer }> = [
      { reason: 'bad-magic-byte', key, value: Buffer.from(JSON.stringify({ caseId: 'case-dlq' })) },
      { reason: 'unknown-schema-id', key, value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 65]) },
      { reason: 'bad-avro', key, value: Buffer.concat([good.subarray(0, 5), Buffer.from([0x40, 0x61])]) },
      { reason: 'null-key', key: null, value: good },
    ];
    const producer = rawKafka().producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: poison.map((p, i) => ({
        key: p.key,
        value: p.value,
        headers: { 'correlation-id': `corr-poison-${i}`, 'x-upstream': 'raw' },
      })),
    });
    await producer.disconnect();
    expect(schemaId).toBeGreaterThan(0);

    // Behind the raw poison: a good message, one the handler rejects as poison, and another good one.
    await publishRequests(kafka, topic, { from: 2, count: 3, caseOf: () => 'case-dlq' });

    const before = await dlqCount(topic, 'bad-magic-byte');
    const handled: string[] = [];
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic,
      fromBeginning: true,
      handler: async (m) => {
        if (m.value.eventId === 'evt-3')
          throw new PoisonMessageError('evt-3 refers to a destination that does not exist');
        handled.push(m.value.eventId);
      },
    });

    const letters = await readRaw(`${topic}.dlq`, { until: (found) => found.length >= 5 });
    expect(await eventually(() => handled.length >= 2)).toBe(true);
    await subscription.stop();

    expect(handled).toEqual(['evt-2', 'evt-4']);
    expect(letters.map((l) => l.message.headers?.['dlq-reason-class']?.toString())).toEqual([
      ...poison.map((p) => p.reason),
      'poison',
    ]);
    poison.forEach((p, i) => {
      const letter = letters[i]!.message;
      expect(letter.key === null ? null : Buffer.from(letter.key)).toEqual(p.key);
      expect(Buffer.from(letter.value!)).toEqual(p.value);
      expect(letter.headers?.['dlq-original-topic']?.toString()).toBe(topic);
      expect(letter.headers?.['dlq-original-partition']?.toString()).toBe('0');
      expect(letter.headers?.['dlq-original-offset']?.toString()).toBe(String(i));
      expect(letter.headers?.['dlq-consumer-group']?.toString()).toBe(groupId);
      expect(new Date(letter.headers?.['dlq-failed-at']?.toString() ?? '').getTime()).toBeGreaterThan(
        Date.now() - 60_000,
      );
      expect(letter.headers?.['dlq-reason']?.toString()).toMatch(/\S/);
      // The original headers travel with it.
      expect(letter.headers?.['correlation-id']?.toString()).toBe(`corr-poison-${i}`);
      expect(letter.headers?.['x-upstream']?.toString()).toBe('raw');
    });
    expect(letters[4]!.message.headers?.['dlq-reason']?.toString()).toBe(
      'handler rejected the message: evt-3 refers to a destination that does not exist',
    );
    expect(await dlqCount(topic, 'bad-magic-byte')).toBe(before + 1);

    // Every message, dead-lettered or handled, was committed: a restart would not see them again.
    const admin = rawKafka().admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '7' })]);
  });
});

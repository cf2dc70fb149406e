import { register } from 'prom-client';
import type { CaseKey, WritebackRequested } from '@closeout/contracts';
import type { KafkaClient } from '../kafka-client';
import {
  eventually,
  publishRequests,
  rawKafka,
  readRaw,
  startTestClient,
  testTopic,
  unique,
} from '../testing/integration';

describe('batch handlers on a real broker', () => {
  const topic = testTopic();
  let kafka: KafkaClient;

  beforeAll(async () => {
    kafka = await startTestClient([{ topic, partitions: 1 }]);
  });

  afterAll(() => kafka.close());

  const publish = (from: number, to: number) =>
    publishRequests(kafka, topic, { from, count: to - from + 1, caseOf: () => 'case-batch' });

  it('hands whole batches over in order, dead-letters what it rejects, retries a failed batch in place, and commits all', async () => {
    await publish(1, 40);
    const groupId = unique('batch');
    const calls: string[][] = [];
    let failOnce = true;
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic,
      fromBeginning: true,
      maxBatchSize: 16,
      retry: { initialBackoffMs: 50, maxBackoffMs: 100 },
      batchHandler: async (messages) => {
        if (failOnce && messages.some((m) => m.value.eventId === 'evt-20')) {
          failOnce = false;
          // A dependency outage (PostgreSQL starting up): the whole batch is retried in place.
          throw Object.assign(new Error('the database system is starting up'), { code: '57P03' });
        }
        calls.push(messages.map((m) => m.value.eventId));
        return messages
          .filter((m) => m.value.eventId === 'evt-7')
          .map((message) => ({ message, reason: 'evt-7 names no configured destination' }));
      },
    });

    expect(await eventually(() => calls.flat().includes('evt-40'), 15_000)).toBe(true);
    const letters = await readRaw(`${topic}.dlq`, { until: (found) => found.length >= 1 });
    await subscription.stop();

    // Every message exactly once in order (the failed batch is seen again whole, never partly), at most 16 at a time.
    const seen = calls.flat();
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `evt-${i + 1}`));
    expect(calls.every((c) => c.length >= 1 && c.length <= 16)).toBe(true);
    expect(calls.some((c) => c.length > 1)).toBe(true);
    expect(failOnce).toBe(false); // the batch holding evt-20 did fail once, and was handed over again whole
    expect(letters).toHaveLength(1);
    expect(letters[0]!.message.headers?.['dlq-reason']?.toString()).toBe(
      'handler rejected the message: evt-7 names no configured destination',
    );

    const admin = rawKafka().admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '40' })]);
    // Caught up: the group's lag on the partition is 0 (it was 39 or less after the first batch).
    const lag = await register.getSingleMetric('closeout_kafka_consumer_lag_messages')!.get();
    expect(lag.values.filter((v) => v.labels['group'] === groupId)).toEqual([
      { value: 0, labels: { topic, group: groupId, partition: '0' } },
    ]);
  });

  it('refuses a subscription with both a handler and a batch handler, or neither', async () => {
    await expect(
      kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({ groupId: unique('none'), topic }),
    ).rejects.toThrow(/exactly one of handler and batchHandler/);
  });
});

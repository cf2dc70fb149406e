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
import type { ConsumedMessage } from './event-subscriber';

type Message = ConsumedMessage<CaseKey, WritebackRequested>;

/** Short backoff, few tries and a short stuck threshold, so a test sees in seconds what takes minutes in production. */
const retry = { initialBackoffMs: 50, maxBackoffMs: 200, maxAttempts: 3, stuckAfterMs: 1_500 };

/** An error as node-postgres (and TypeORM's QueryFailedError) raise it for a NUL byte in a text value. */
const nulByteError = () =>
  Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
    name: 'QueryFailedError',
    code: '22021',
  });

describe('bounded retries, dead letters and stuck partitions on a real broker', () => {
  const poisonTopic = testTopic();
  const outageTopic = testTopic();
  const batchTopic = testTopic();
  let kafka: KafkaClient;

  beforeAll(async () => {
    // One partition each: the bad message and the good ones behind it share a partition, as one case's events do.
    kafka = await startTestClient([
      { topic: poisonTopic, partitions: 1 },
      { topic: outageTopic, partitions: 1 },
      { topic: batchTopic, partitions: 1 },
    ]);
  });

  afterAll(() => kafka.close());

  const publish = (topic: string, from: number, count: number) =>
    publishRequests(kafka, topic, { from, count, caseOf: () => 'case-same-partition' });

  async function gauge(name: string, topic: string, group: string): Promise<number | undefined> {
    const metric = await register.getSingleMetric(name)?.get();
    expect(metric?.values.every((v) => Object.keys(v.labels).sort().join() === 'group,topic')).toBe(true);
    return metric?.values.find((v) => v.labels['topic'] === topic && v.labels['group'] === group)?.value;
  }

  /** The consumers' part of readiness, as /health/ready sees it. */
  const consumersHealth = async () => (await kafka.health.check()).parts.consumers;

  async function committed(groupId: string, topic: string): Promise<string | undefined> {
    const admin = rawKafka().admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets?.partitions.find((p) => p.partition === 0)?.offset;
    } finally {
      await admin.disconnect();
    }
  }

  it('dead-letters a message that keeps failing on a constraint once, as exhausted, and handles the ones behind it; readiness is red while it blocks the partition', async () => {
    const groupId = unique('poison');
    const tries: number[] = [];
    const handled: string[] = [];
    // Backoff of 0.5 to 1 s between its 4 tries: the head fails for 1.5 to 3 s, past stuckAfterMs (1 s), then moves.
    const slower = { initialBackoffMs: 1_000, maxBackoffMs: 1_000, maxAttempts: 4, stuckAfterMs: 1_000 };
    await publish(poisonTopic, 1, 4); // evt-1 is the poison, evt-2..4 valid cases behind it
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic: poisonTopic,
      fromBeginning: true,
      retry: slower,
      handler: async (m: Message) => {
        if (m.value.eventId === 'evt-1') {
          tries.push(m.attempt);
          throw nulByteError();
        }
        handled.push(m.value.eventId);
      },
    });

    // Readiness as /health/ready would see it, polled until the valid cases behind the poison are handled.
    const reds: string[] = [];
    const deadline = Date.now() + 20_000;
    while (handled.length < 3 && Date.now() < deadline) {
      const part = await consumersHealth();
      if (!part.ok) reds.push(part.detail ?? '');
      await new Promise((r) => setTimeout(r, 50));
    }
    const letters = await readRaw(`${poisonTopic}.dlq`, { until: (found) => found.length >= 1 });
    // Time for a second dead letter, were there one.
    await new Promise((r) => setTimeout(r, 1_000));
    const allLetters = await readRaw(`${poisonTopic}.dlq`, { until: () => false, timeoutMs: 2_000 });

    expect(handled).toEqual(['evt-2', 'evt-3', 'evt-4']);
    expect(tries).toEqual([1, 2, 3, 4]);
    expect(letters).toHaveLength(1);
    expect(allLetters).toHaveLength(1);
    const headers = allLetters[0]!.message.headers!;
    expect(headers['dlq-reason-class']?.toString()).toBe('exhausted');
    expect(headers['dlq-original-offset']?.toString()).toBe('0');
    expect(headers['dlq-reason']?.toString()).toBe(
      'handler failed 4 times (maxAttempts 4): QueryFailedError (code 22021)',
    );

    // Red while the head was failing past stuckAfterMs, naming where and the error's class and code, never content.
    expect(reds.length).toBeGreaterThan(0);
    for (const detail of reds)
      expect(detail).toMatch(
        new RegExp(
          `^${poisonTopic.replace(/\./g, '\\.')} \\(${groupId}\\) partition 0 stuck at offset 0 for \\d+ s: QueryFailedError \\(code 22021\\)$`,
        ),
      );
    // Green again once the partition moved on.
    expect(await consumersHealth()).toEqual({ ok: true, latencyMs: 0 });
    expect(kafka.subscriber.stuckPartitions()).toEqual([]);
    await subscription.stop();
    expect(await committed(groupId, poisonTopic)).toBe('4');
  });

  it('retries a handler failing on an unreachable dependency far beyond maxAttempts without dead-lettering; readiness red after stuckAfterMs, green once it recovers', async () => {
    const groupId = unique('outage');
    const tries: number[] = [];
    const handled: string[] = [];
    let down = true;
    await publish(outageTopic, 1, 2);
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic: outageTopic,
      fromBeginning: true,
      retry,
      handler: async (m: Message) => {
        if (down) {
          tries.push(m.attempt);
          throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
        }
        handled.push(m.value.eventId);
      },
    });

    expect(await eventually(() => tries.length > retry.maxAttempts * 2, 15_000)).toBe(true);
    expect(await eventually(() => kafka.subscriber.stuckPartitions().length === 1, 5_000)).toBe(true);
    const red = await consumersHealth();
    expect(red.ok).toBe(false);
    expect(red.detail).toContain(`${outageTopic} (${groupId}) partition 0 stuck at offset 0`);
    // What the alert fires on, labelled by topic and group only.
    expect(await gauge('closeout_kafka_consumer_stuck_partitions', outageTopic, groupId)).toBe(1);
    expect(await gauge('closeout_kafka_consumer_head_failing_seconds', outageTopic, groupId)).toBeGreaterThan(
      1,
    );
    expect(red.detail).toContain('Error (code ECONNREFUSED)');
    expect(handled).toEqual([]);

    down = false;
    expect(await eventually(() => handled.length === 2, 15_000)).toBe(true);
    expect(handled).toEqual(['evt-1', 'evt-2']);
    expect(await consumersHealth()).toEqual({ ok: true, latencyMs: 0 });
    expect(await gauge('closeout_kafka_consumer_stuck_partitions', outageTopic, groupId)).toBe(0);
    await subscription.stop();

    // Nothing dead-lettered: the DLQ topic holds no record at all.
    const letters = await readRaw(`${outageTopic}.dlq`, { until: () => false, timeoutMs: 2_000 });
    expect(letters).toHaveLength(0);
    expect(await committed(groupId, outageTopic)).toBe('2');
  });

  it('in a batch subscription, dead-letters one undecodable record and one the handler chokes on exactly once each, and handles all the good ones', async () => {
    const groupId = unique('batch-bad');
    // Offsets 0..3 good, 4 undecodable, 5..7 good, 8 the one the handler chokes on, 9..11 good.
    await publish(batchTopic, 0, 4);
    const producer = rawKafka().producer();
    await producer.connect();
    const key = await kafka.serde.encode(batchTopic, 'key', { caseId: 'case-same-partition' });
    await producer.send({
      topic: batchTopic,
      messages: [{ key, value: Buffer.from('{"not":"avro"}'), headers: { 'correlation-id': 'corr-raw' } }],
    });
    await producer.disconnect();
    await publish(batchTopic, 5, 7);

    const calls: string[][] = [];
    const handled = new Set<string>();
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic: batchTopic,
      fromBeginning: true,
      maxBatchSize: 50,
      retry,
      batchHandler: async (messages) => {
        calls.push(messages.map((m) => m.value.eventId));
        // A multi-row INSERT the one bad value fails for all: nothing of the batch is applied.
        if (messages.some((m) => m.value.eventId === 'evt-8')) throw nulByteError();
        for (const m of messages) handled.add(m.value.eventId);
      },
    });

    expect(await eventually(() => handled.has('evt-11'), 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    const letters = await readRaw(`${batchTopic}.dlq`, { until: () => false, timeoutMs: 2_000 });
    await subscription.stop();

    const byOffset = letters.map((l) => [
      l.message.headers!['dlq-original-offset']!.toString(),
      l.message.headers!['dlq-reason-class']!.toString(),
    ]);
    expect(byOffset.sort()).toEqual([
      ['4', 'bad-magic-byte'],
      ['8', 'exhausted'],
    ]);
    const good = [0, 1, 2, 3, 5, 6, 7, 9, 10, 11].map((n) => `evt-${n}`);
    expect([...handled].sort()).toEqual([...good].sort());
    // The batch was tried whole once, then its messages one at a time: evt-8 alone maxAttempts times.
    expect(calls.filter((c) => c.length === 1 && c[0] === 'evt-8')).toHaveLength(retry.maxAttempts);
    expect(await committed(groupId, batchTopic)).toBe('12');
  });
});

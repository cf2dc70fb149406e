import type { CaseKey, WritebackRequested } from '@closeout/contracts';
import type { KafkaClient } from '../kafka-client';
import {
  eventually,
  messageCount,
  publishRequests,
  startTestClient,
  testTopic,
  unique,
} from '../testing/integration';
import type { ConsumedMessage } from './event-subscriber';

type Message = ConsumedMessage<CaseKey, WritebackRequested>;

describe('delivery across failures and restarts, on a real broker', () => {
  const restartTopic = testTopic();
  const retryTopic = testTopic();
  let kafka: KafkaClient;

  beforeAll(async () => {
    kafka = await startTestClient([
      { topic: restartTopic, partitions: 3 },
      { topic: retryTopic, partitions: 1 },
    ]);
  });

  afterAll(() => kafka.close());

  const publish = (topic: string, from: number, count: number) =>
    // Ten cases spread over the partitions; each case's events stay in order on one partition.
    publishRequests(kafka, topic, { from, count, caseOf: (n) => `case-${n % 10}` });

  it('neither loses nor re-handles committed messages when a consumer stops gracefully and the group restarts', async () => {
    const groupId = unique('restart');
    const handled: Message[] = [];
    await publish(restartTopic, 0, 30);

    // First run: slow handler, stopped after some messages while one is in flight.
    let stopping: Promise<void> | undefined;
    const first = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic: restartTopic,
      fromBeginning: true,
      handler: async (m) => {
        await new Promise((r) => setTimeout(r, 20));
        handled.push(m);
        if (handled.length === 8) stopping = first.stop();
      },
    });
    expect(await eventually(() => stopping !== undefined)).toBe(true);
    await stopping;
    const handledInFirstRun = handled.length;
    expect(handledInFirstRun).toBeGreaterThanOrEqual(8);
    expect(handledInFirstRun).toBeLessThan(30);

    // Second run, same group: picks up exactly where the first one committed, then new messages too.
    const second = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic: restartTopic,
      fromBeginning: true,
      handler: async (m) => {
        handled.push(m);
      },
    });
    await publish(restartTopic, 30, 20);
    expect(await eventually(() => handled.length >= 50)).toBe(true);
    // Give a duplicate, if there were one, the time to arrive.
    await new Promise((r) => setTimeout(r, 500));
    await second.stop();

    const ids = handled.map((m) => m.value.eventId);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
    // Per-case order held across the restart.
    for (let c = 0; c < 10; c++) {
      const caseEvents = handled
        .filter((m) => m.key.caseId === `case-${c}`)
        .map((m) => Number(m.value.eventId.slice(4)));
      expect(caseEvents).toEqual([...caseEvents].sort((a, b) => a - b));
    }
  });

  it('retries a handler that fails transiently twice, then handles the message once and does not dead-letter it', async () => {
    const groupId = unique('retry');
    const attempts: number[] = [];
    const succeeded: string[] = [];
    const subscription = await kafka.subscriber.subscribeToTopic<CaseKey, WritebackRequested>({
      groupId,
      topic: retryTopic,
      fromBeginning: true,
      handler: async (m) => {
        if (m.value.eventId === 'evt-1') {
          attempts.push(m.attempt);
          if (m.attempt <= 2) throw new Error(`core banking timed out (attempt ${m.attempt})`);
        }
        succeeded.push(m.value.eventId);
      },
    });
    await publish(retryTopic, 1, 2);

    expect(await eventually(() => succeeded.length >= 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    await subscription.stop();

    expect(attempts).toEqual([1, 2, 3]);
    // Handled once, and the message behind it only after it (same partition, order kept).
    expect(succeeded).toEqual(['evt-1', 'evt-2']);
    expect(await messageCount(`${retryTopic}.dlq`)).toBe(0);
  });
});

import type { KafkaClient } from '../kafka-client';
import { startTestClient, testTopic, unique, writebackRequested } from '../testing/integration';

/**
 * A member that stops leaves its group (kafkajs sends LeaveGroup on stop): its successor gets the partitions at
 * once, however long the session timeout. Only a member that dies without stopping (SIGKILL) makes its successor
 * wait for the session (tools/harness/writeback/rejoin-after-kill.integration-spec.ts measures that).
 */
describe('consumer group membership (real Kafka)', () => {
  const topic = testTopic();
  let kafka: KafkaClient;

  beforeAll(async () => {
    kafka = await startTestClient([{ topic, partitions: 2 }]);
  });
  afterAll(() => kafka.close());

  it('hands a stopped member’s partitions to its successor at once, not after the 30 s session', async () => {
    const groupId = unique('membership');
    const seen: Array<{ member: string; eventId: string }> = [];
    const subscribe = (member: string) =>
      kafka.subscriber.subscribeToTopic<unknown, { eventId: string }>({
        groupId,
        topic,
        fromBeginning: true,
        consumer: { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
        handler: async ({ value }) => void seen.push({ member, eventId: value.eventId }),
      });
    const publish = (n: number) => {
      const value = writebackRequested(n);
      return kafka.publisher.publishToTopic(topic, { caseId: value.caseId }, value, {
        correlationId: value.correlationId,
      });
    };
    const until = async (condition: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return condition();
    };

    const first = await subscribe('first');
    await first.whenPositioned();
    await publish(1);
    expect(await until(() => seen.length === 1, 10_000)).toBe(true);
    await first.stop();

    const started = Date.now();
    const successor = await subscribe('successor');
    await publish(2);
    expect(await until(() => seen.length === 2, 10_000)).toBe(true);
    const seconds = (Date.now() - started) / 1000;
    await successor.stop();

    expect(seen).toEqual([
      { member: 'first', eventId: 'evt-1' },
      { member: 'successor', eventId: 'evt-2' },
    ]);
    expect(seconds).toBeLessThan(10);
  });
});

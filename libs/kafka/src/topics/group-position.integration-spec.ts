import { positionGroupsAtEnd } from './group-position';
import { integrationEnv, rawKafka, testTopic, unique } from '../testing/integration';

async function committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

describe('positionGroupsAtEnd on a real broker', () => {
  it('creates a topic that does not exist yet (with its DLQ) and commits offset 0 on each of its partitions', async () => {
    const topic = testTopic();
    const groupId = unique('position');

    await positionGroupsAtEnd(integrationEnv(), [{ groupId, topic }], 3);

    const admin = rawKafka().admin();
    await admin.connect();
    const listed = await admin.listTopics();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(listed).toEqual(expect.arrayContaining([topic, `${topic}.dlq`]));
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    expect(Object.fromEntries(await committedOffsets(groupId, topic))).toEqual({ 0: '0', 1: '0', 2: '0' });
  });

  it("commits an existing topic's current end, so the group reads only what is published afterwards", async () => {
    const topic = testTopic();
    const admin = rawKafka().admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = rawKafka().producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'old-1' }, { value: 'old-2' }] });

    const groupId = unique('position');
    await positionGroupsAtEnd(integrationEnv(), [{ groupId, topic }]);
    expect(Object.fromEntries(await committedOffsets(groupId, topic))).toEqual({ 0: '2' });

    await producer.send({ topic, messages: [{ value: 'new-1' }] });
    await producer.disconnect();
    const consumer = rawKafka().consumer({
      groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          if (message.value?.toString() === 'new-1') resolve();
          return Promise.resolve();
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
    clearTimeout(timer);
    await consumer.disconnect();
    expect(seen).toEqual(['new-1']);
  });
});

import { Kafka, logLevel } from 'kafkajs';
import { Topics } from '@closeout/contracts';

/**
 * Commits the current end of a topic (writeback.requested by default) as a new consumer group's offsets, as concrete numbers. A fresh
 * service instance then reads only what is published from now on, and a kill before its own first commit does not
 * make it skip anything (a group without offsets would start again at the then-latest offset).
 */
export async function positionGroupAtEnd(
  brokers: string[],
  groupId: string,
  topic: string = Topics.writebackRequested,
): Promise<void> {
  const admin = new Kafka({ clientId: 'harness-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
  } finally {
    await admin.disconnect();
  }
}

import { Kafka, KafkaJSError, logLevel, type Admin } from 'kafkajs';
import { KafkajsMessageBus } from '../adapters/kafkajs/kafkajs.adapter';
import { kafkajsConnection, type KafkaConnection } from '../connection/kafka-connection';
import { TopicProvisioner } from './topic-provisioner';

/** A consumer group and the topic it is about to read. */
export interface GroupTopic {
  groupId: string;
  topic: string;
}

/**
 * Commits the current end of each topic as its new consumer group's offsets, as concrete numbers. A fresh service
 * instance then reads only what is published from now on, and a kill before its own first commit does not make it
 * skip anything (a group without offsets would start again at the then-latest offset). A topic that does not exist
 * yet (a new cluster: the brokers do not auto-create) is created with its DLQ as a service would on start, with
 * `defaultPartitions` as the services' KAFKA_DEFAULT_PARTITIONS, so its end is offset 0. One pair of admin connections
 * for all the groups. `connection`: the brokers, or the brokers and their security (`kafkaConnectionFromEnv()`).
 */
export async function positionGroupsAtEnd(
  connection: string[] | KafkaConnection,
  groups: readonly GroupTopic[],
  defaultPartitions = 6,
): Promise<void> {
  if (groups.length === 0) return;
  const { brokers, security } = Array.isArray(connection)
    ? { brokers: connection, security: undefined }
    : connection;
  const provisioner = new KafkajsMessageBus({
    clientId: 'group-position',
    brokers,
    ...(security ? { security } : {}),
  }).admin();
  const admin = new Kafka({
    clientId: 'group-position',
    ...kafkajsConnection({ brokers, ...(security ? { security } : {}) }),
    logLevel: logLevel.NOTHING,
  }).admin();
  await Promise.all([provisioner.connect(), admin.connect()]);
  try {
    const topics = [...new Set(groups.map((g) => g.topic))];
    await new TopicProvisioner(provisioner, { defaultPartitions, replicationFactor: 1 }).ensureTopics(
      topics.map((topic) => ({ topic })),
    );
    const ends = new Map(
      await Promise.all(topics.map(async (topic) => [topic, await endOffsets(admin, topic)] as const)),
    );
    // Each group is its own coordinator round trip: all at once (a main job positions a few dozen).
    await Promise.all(
      groups.map(({ groupId, topic }) =>
        admin.setOffsets({
          groupId,
          topic,
          partitions: ends.get(topic)!.map((p) => ({ partition: p.partition, offset: p.high })),
        }),
      ),
    );
  } finally {
    await Promise.allSettled([provisioner.disconnect(), admin.disconnect()]);
  }
}

/**
 * A topic created a moment ago may not have an elected leader in this client's metadata yet: the broker answers
 * NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION, both retriable. Bounded: about 10 s, then the error stands.
 */
async function endOffsets(admin: Admin, topic: string): Promise<Array<{ partition: number; high: string }>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!retriable(error) || attempt >= 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** kafkajs gives up on UNKNOWN_TOPIC_OR_PARTITION after its own retries and wraps it as non-retriable, with the cause. */
function retriable(error: unknown): boolean {
  if (!(error instanceof KafkaJSError)) return false;
  return error.retriable || retriable((error as { cause?: unknown }).cause);
}

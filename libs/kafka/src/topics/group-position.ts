import { Kafka, KafkaJSError, logLevel, type Admin } from 'kafkajs';
import { KafkajsMessageBus } from '../adapters/kafkajs/kafkajs.adapter';
import { TopicProvisioner } from './topic-provisioner';

export interface GroupPositionOptions {
  brokers: string[];
  /** The group that will read each topic: one name for all, or one per topic (services name a group per subscription). */
  groupId: string | ((topic: string) => string);
  topics: string[];
  /** Partitions for a topic that does not exist yet, as the services' KAFKA_DEFAULT_PARTITIONS. */
  defaultPartitions?: number;
}

/**
 * Commits the current end of each topic as a new consumer group's offsets, as concrete numbers. A fresh service
 * instance then reads only what is published from now on, and a kill before its own first commit does not make it
 * skip anything (a group without offsets would start again at the then-latest offset). A topic that does not exist
 * yet (a new cluster: the brokers do not auto-create) is created with its DLQ as a service would on start, so its end
 * is offset 0.
 */
export async function positionGroupAtEnd(options: GroupPositionOptions): Promise<void> {
  const bus = new KafkajsMessageBus({ clientId: 'group-position', brokers: options.brokers });
  const provisioner = bus.admin();
  const admin = new Kafka({
    clientId: 'group-position',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await Promise.all([provisioner.connect(), admin.connect()]);
  try {
    await new TopicProvisioner(provisioner, {
      defaultPartitions: options.defaultPartitions ?? 6,
      replicationFactor: 1,
    }).ensureTopics(options.topics.map((topic) => ({ topic })));
    for (const topic of options.topics) {
      const ends = await endOffsets(admin, topic);
      await admin.setOffsets({
        groupId: typeof options.groupId === 'string' ? options.groupId : options.groupId(topic),
        topic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    }
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

import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import type { KafkaSecurity } from '@closeout/config';
import './request-queue-fix';
import { createLogger } from '@closeout/telemetry';
import { kafkajsSecurity } from '../../connection/kafka-connection';
import { BrokerRejectedError } from '../../kafka.errors';
import { consumerLagGauge } from '../../metrics/kafka.metrics';
import { CoalescingSender } from '../../producer/coalescing-sender';
import type {
  AdminPort,
  ConsumerOptions,
  ConsumerPort,
  IncomingRecord,
  MessageBus,
  OutgoingRecord,
  PartitionBatch,
  ProducerPort,
  RawHeaders,
  TopicSpec,
} from '../../ports/message-bus.port';

export interface KafkajsBusOptions {
  clientId: string;
  brokers: string[];
  /** TLS and SASL (KAFKA_SECURITY_PROTOCOL and the KAFKA_SASL_* / KAFKA_SSL_* settings); absent means PLAINTEXT. */
  security?: KafkaSecurity;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * How often resolved offsets are committed while a batch is being worked; they are also committed at the
 * end of every batch, before a rebalance and on stop. No message-count threshold: a commit every N
 * messages is a broker round trip in the middle of the batch and cost a third of consume throughput in
 * tools/bench/kafka-throughput.ts, while consumers are idempotent and a crash replays at most ~1 s of work.
 */
const AUTO_COMMIT_INTERVAL_MS = 1000;

/** kafkajs logs through pino so its lines carry the same fields (service, correlation id) as ours. */
function pinoLogCreator(): (entry: LogEntry) => void {
  const log = createLogger('kafkajs');
  return ({ level, log: { message, ...extra }, namespace }) => {
    const fields = { namespace, ...extra };
    switch (level) {
      case logLevel.ERROR:
        log.error(fields, message);
        break;
      case logLevel.WARN:
        log.warn(fields, message);
        break;
      case logLevel.INFO:
        log.info(fields, message);
        break;
      case logLevel.DEBUG:
        log.debug(fields, message);
        break;
      case logLevel.NOTHING:
        break;
    }
  };
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: (message.headers ?? {}) as RawHeaders,
    timestamp: Number(message.timestamp),
  };
}

/**
 * Broker answers that refuse the records themselves, for good: the same bytes fail the same way however often they
 * are sent (kafkajs marks them non-retriable and gives up at once). Other non-retriable answers (authorization, a
 * missing topic) are about the cluster, not the records, and stay as they are.
 */
const RECORD_REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** The broker's refusal in a kafkajs error or the errors it wraps (kafkajs wraps what it gives up on). */
function brokerRefusal(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && RECORD_REFUSALS.has(type)) return type;
  }
  return undefined;
}

class KafkajsProducer implements ProducerPort {
  private readonly sender = new CoalescingSender((records) => this.sendBatch(records));

  constructor(private readonly producer: Producer) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  send(records: OutgoingRecord[]): Promise<void> {
    return this.sender.send(records);
  }

  private async sendBatch(records: OutgoingRecord[]): Promise<void> {
    // Group by topic but keep each topic's order: one sendBatch is one Produce request per leader.
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic) ?? [];
      list.push(r);
      byTopic.set(r.topic, list);
    }
    try {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, rs]) => ({
          topic,
          messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers as IHeaders })),
        })),
      });
    } catch (error) {
      const refusal = brokerRefusal(error);
      if (refusal) throw new BrokerRejectedError(refusal, [...byTopic.keys()], { cause: error });
      throw error;
    }
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

class KafkajsConsumer implements ConsumerPort {
  private readonly crashListeners: Array<(error: Error, willRestart: boolean) => void> = [];
  private readonly positionedListeners: Array<() => void> = [];
  private awaitingFirstFetch = false;
  private readonly lag = consumerLagGauge();
  /** The partitions whose lag this consumer reports, as gauge labels: dropped at each group join. */
  private readonly lagLabels = new Map<string, { topic: string; group: string; partition: string }>();

  constructor(
    private readonly consumer: Consumer,
    private readonly partitionsConcurrently: number,
    private readonly groupId: string,
  ) {
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      for (const listener of this.crashListeners) listener(error, restart);
    });
    // kafkajs resolves a partition's start offset (committed, or earliest/latest for a new group) in the
    // first fetch after a join, not in the join itself; the FETCH event follows that fetch.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.awaitingFirstFetch = true;
      for (const labels of this.lagLabels.values()) this.lag.remove(labels);
      this.lagLabels.clear();
    });
    this.consumer.on(this.consumer.events.FETCH, () => {
      if (!this.awaitingFirstFetch) return;
      this.awaitingFirstFetch = false;
      for (const listener of this.positionedListeners) listener();
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  subscribe(topics: string[], fromBeginning: boolean): Promise<void> {
    return this.consumer.subscribe({ topics, fromBeginning });
  }

  run(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void> {
    return this.consumer.run({
      // Offsets are resolved only by the handler loop (after success or dead-lettering), and kafkajs's
      // auto-commit commits resolved offsets only: an unhandled record is never committed.
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitInterval: AUTO_COMMIT_INTERVAL_MS,
      partitionsConsumedConcurrently: this.partitionsConcurrently,
      eachBatch: async (payload: EachBatchPayload) => {
        const { batch } = payload;
        await onBatch({
          topic: batch.topic,
          partition: batch.partition,
          records: batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m)),
          markProcessed: (offset) => payload.resolveOffset(offset),
          commitIfDue: () => payload.commitOffsetsIfNecessary(),
          pause: () => payload.pause(),
          heartbeat: () => payload.heartbeat(),
          isActive: () => payload.isRunning() && !payload.isStale(),
        });
        const labels = { topic: batch.topic, group: this.groupId, partition: String(batch.partition) };
        this.lagLabels.set(`${batch.topic}\u0000${batch.partition}`, labels);
        this.lag.set(labels, Math.max(0, Number(batch.offsetLag())));
      },
    });
  }

  stop(): Promise<void> {
    // kafkajs's stop waits for the batches in flight, then commits what they resolved and leaves the group.
    return this.consumer.stop();
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }

  onCrash(listener: (error: Error, willRestart: boolean) => void): void {
    this.crashListeners.push(listener);
  }

  onPositioned(listener: () => void): void {
    this.positionedListeners.push(listener);
  }
}

/** kafkajs reports a partly existing topic set as an aggregate of TOPIC_ALREADY_EXISTS errors. */
function onlyAlreadyExists(error: unknown): boolean {
  const errors = (error as { errors?: Array<{ type?: string }> }).errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => e.type === 'TOPIC_ALREADY_EXISTS');
}

class KafkajsAdmin implements AdminPort {
  constructor(private readonly admin: Admin) {}

  connect(): Promise<void> {
    return this.admin.connect();
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor,
          configEntries: Object.entries(s.configEntries ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      // Another instance created some of them between our list and create: that is the outcome we wanted.
      // When services boot together, the broker may also answer while the other creation is still electing
      // leaders (UNKNOWN_TOPIC_OR_PARTITION); the topics exist once every one of them is listed.
      if (!onlyAlreadyExists(error) && !(await this.allListedSoon(missing.map((s) => s.topic)))) throw error;
    }
    return missing.map((s) => s.topic);
  }

  private async allListedSoon(topics: string[], attempts = 10): Promise<boolean> {
    for (let i = 0; i < attempts; i++) {
      const listed = new Set(await this.admin.listTopics());
      if (topics.every((t) => listed.has(t))) return true;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return false;
  }

  async describeCluster(timeoutMs: number): Promise<{ brokers: number }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`describeCluster timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const cluster = await Promise.race([this.admin.describeCluster(), timeout]);
      return { brokers: cluster.brokers.length };
    } finally {
      clearTimeout(timer);
    }
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }
}

/** The kafkajs implementation of the MessageBus port. */
export class KafkajsMessageBus implements MessageBus {
  private readonly kafka: Kafka;

  constructor(options: KafkajsBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ...kafkajsSecurity(options.security),
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 30000,
      logLevel: logLevel.WARN,
      logCreator: () => pinoLogCreator(),
    });
  }

  producer(): ProducerPort {
    return new KafkajsProducer(
      this.kafka.producer({
        // Idempotence makes the broker drop duplicates from our own retries; kafkajs serialises idempotent
        // requests per broker, and one in-flight request keeps per-partition order across retries.
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // The Java client's murmur2 partitioner, so a case id lands on the same partition whichever client wrote it.
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
  }

  consumer(options: ConsumerOptions): ConsumerPort {
    return new KafkajsConsumer(
      this.kafka.consumer({
        groupId: options.groupId,
        allowAutoTopicCreation: false,
        ...(options.sessionTimeoutMs !== undefined ? { sessionTimeout: options.sessionTimeoutMs } : {}),
        ...(options.heartbeatIntervalMs !== undefined
          ? { heartbeatInterval: options.heartbeatIntervalMs }
          : {}),
        ...(options.rebalanceTimeoutMs !== undefined ? { rebalanceTimeout: options.rebalanceTimeoutMs } : {}),
        ...(options.maxWaitTimeMs !== undefined ? { maxWaitTimeInMs: options.maxWaitTimeMs } : {}),
      }),
      options.partitionsConcurrently ?? 1,
      options.groupId,
    );
  }

  admin(): AdminPort {
    return new KafkajsAdmin(this.kafka.admin());
  }
}

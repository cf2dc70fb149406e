/**
 * The narrow port Closeout needs from a Kafka client. Only this lib's adapters import a client
 * library (kafkajs today); publishers, subscribers and topic provisioning speak these types, so the
 * client can be swapped (e.g. for @confluentinc/kafka-javascript) by writing one adapter.
 */

/** A header value as it travels: bytes from the wire, strings when we build them, a list when a key repeats. */
export type HeaderValue = Buffer | string | Array<Buffer | string>;
export type RawHeaders = Record<string, HeaderValue | undefined>;

/**
 * One record to produce, already serialized. Events always carry a key (EventPublisher refuses
 * otherwise); null is allowed here only so a dead letter keeps the original's bytes exactly.
 */
export interface OutgoingRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, HeaderValue>;
}

/** One record as fetched from a partition, still serialized. */
export interface IncomingRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; kept as decimal strings so nothing is rounded. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: RawHeaders;
  /** Broker or producer timestamp, epoch millis. */
  timestamp: number;
}

export interface ProducerPort {
  connect(): Promise<void>;
  /** Sends every record in one request where the client can (one round trip), acks from all in-sync replicas. */
  send(records: OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * What a consumer's batch callback may do with the partition it was handed. The contract mirrors what
 * any Kafka client offers: mark an offset processed (it is committed later, never before), pause the
 * partition so unprocessed records are fetched again from the last marked offset after resume.
 */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /** Marks `offset` as processed; only marked offsets are ever committed. */
  markProcessed(offset: string): void;
  /** Commits marked offsets if the commit interval/threshold says so. */
  commitIfDue(): Promise<void>;
  /** Stops fetching this partition; returns the function that resumes it. Unmarked records are fetched again. */
  pause(): () => void;
  /** Keeps group membership alive during long work. May throw when the group rebalances: let it propagate. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the batch was made stale by a rebalance or seek. */
  isActive(): boolean;
}

export interface ConsumerOptions {
  groupId: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  maxWaitTimeMs?: number;
  /** How many partitions are processed at once; order within a partition is always kept. */
  partitionsConcurrently?: number;
}

export interface ConsumerPort {
  connect(): Promise<void>;
  subscribe(topics: string[], fromBeginning: boolean): Promise<void>;
  /** Starts fetching. Records are handed over partition by partition; the callback's marks decide what is committed. */
  run(onBatch: (batch: PartitionBatch) => Promise<void>): Promise<void>;
  /** Stops fetching, waits for the batch callbacks in flight, commits marked offsets and leaves the group. */
  stop(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Called when the consumer fails beyond the client's own retries. `willRestart` says whether the client
   * rejoins by itself; when it does not, the subscription is dead and readiness must say so.
   */
  onCrash(listener: (error: Error, willRestart: boolean) => void): void;
  /**
   * Called after each group join, once the member has fetched from its partitions (so their start
   * offsets are fixed): from then on nothing published is missed, even by a new group reading from the end.
   */
  onPositioned(listener: () => void): void;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  configEntries?: Record<string, string>;
}

export interface AdminPort {
  connect(): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Creates the topics that do not exist yet; existing ones are left as they are. Returns the names created. */
  createTopics(specs: TopicSpec[]): Promise<string[]>;
  /** Round trip to the cluster; resolves with the number of brokers that answered. */
  describeCluster(timeoutMs: number): Promise<{ brokers: number }>;
  disconnect(): Promise<void>;
}

/** The factory a Kafka client adapter implements. */
export interface MessageBus {
  /** An idempotent producer that waits for acks from all in-sync replicas. */
  producer(): ProducerPort;
  consumer(options: ConsumerOptions): ConsumerPort;
  admin(): AdminPort;
}

import type { KafkaSecurity } from '@closeout/config';
import { createLogger } from '@closeout/telemetry';
import { KafkajsMessageBus } from './adapters/kafkajs/kafkajs.adapter';
import { EventSubscriber, type ConsumerTuning } from './consumer/event-subscriber';
import type { RetryBackoffOptions } from './consumer/retry-backoff';
import { DeadLetterPublisher } from './dead-letter/dead-letter';
import { KafkaHealth } from './health/kafka-health';
import { kafkaMetrics } from './metrics/kafka.metrics';
import type { MessageBus } from './ports/message-bus.port';
import type { MessageSerde } from './ports/message-serde.port';
import { DEFAULT_MAX_MESSAGE_BYTES, EventPublisher, type RecordSigner } from './producer/event-publisher';
import { SharedProducer } from './producer/shared-producer';
import { AvroSerde } from './serde/avro-serde';
import { SchemaCatalog } from './serde/schema-catalog';
import { SharedAdmin } from './topics/shared-admin';
import { TopicProvisioner, type TopicRequest } from './topics/topic-provisioner';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  /** TLS and SASL towards the brokers; absent means PLAINTEXT. Scripts: `kafkaConnectionFromEnv()`. */
  security?: KafkaSecurity;
  /** Confluent-compatible registry base URL (Apicurio: http://host:8081/apis/ccompat/v7). */
  schemaRegistryUrl: string;
  /** Topics this service uses: created (with their DLQs) and their schemas registered at start. */
  topics?: Array<string | TopicRequest>;
  /** Partitions of topics created without an explicit count. Default 6. */
  defaultPartitions?: number;
  /** Default 1 (the single-broker devstack); 3 in a production cluster. */
  replicationFactor?: number;
  /** Schemas per topic; defaults to every contract topic. Define extra topics on it before start. */
  catalog?: SchemaCatalog;
  /**
   * The largest encoded message (key, value, headers) the publisher sends; a larger one is refused with
   * MessageTooLargeError before any request. Default 1 000 000 bytes, below the brokers' default message.max.bytes
   * (1 048 588); keep it below every topic's max.message.bytes.
   */
  maxMessageBytes?: number;
  /** Defaults for every subscription's group membership (session timeout, heartbeat, fetch wait). */
  consumerDefaults?: ConsumerTuning;
  /** Defaults for in-place retry backoff of failed handlers. */
  retry?: Partial<RetryBackoffOptions>;
  /** Adds headers (a signature) to the records of the topics it signs, from their encoded bytes. */
  signer?: RecordSigner;
  /** Replace the Kafka client or the serde (another client library, a different registry). */
  bus?: MessageBus;
  serde?: MessageSerde;
}

/**
 * Composes the lib's parts over one Kafka client: a shared idempotent producer, the Avro serde, topic
 * provisioning, publisher, subscriber and health. KafkaModule wraps it for Nest; scripts and tests use
 * it directly: `const kafka = new KafkaClient(opts); await kafka.start(); ...; await kafka.close();`.
 */
export class KafkaClient {
  readonly catalog: SchemaCatalog;
  readonly serde: MessageSerde;
  readonly bus: MessageBus;
  readonly publisher: EventPublisher;
  readonly subscriber: EventSubscriber;
  readonly topics: TopicProvisioner;
  readonly health: KafkaHealth;

  private readonly log = createLogger('kafka.client');
  private readonly producer: SharedProducer;
  private readonly admin: SharedAdmin;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaClientOptions) {
    this.catalog = options.catalog ?? new SchemaCatalog();
    this.bus = options.bus ?? new KafkajsMessageBus({
        clientId: options.clientId,
        brokers: options.brokers,
        ...(options.security ? { security: options.security } : {}),
      });
    this.serde =
      options.serde ??
      new AvroSerde(this.catalog, { registryUrl: options.schemaRegistryUrl, clientId: options.clientId });
    const metrics = kafkaMetrics();
    this.producer = new SharedProducer(this.bus.producer());
    this.admin = new SharedAdmin(this.bus.admin());
    this.topics = new TopicProvisioner(this.admin, {
      defaultPartitions: options.defaultPartitions ?? 6,
      replicationFactor: options.replicationFactor ?? 1,
    });
    this.publisher = new EventPublisher(
      this.producer,
      this.serde,
      metrics,
      {
        maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      },
      options.signer,
    );
    this.subscriber = new EventSubscriber(
      {
        bus: this.bus,
        serde: this.serde,
        deadLetters: new DeadLetterPublisher(this.producer, metrics),
        metrics,
      },
      {
        ...(options.consumerDefaults ? { consumer: options.consumerDefaults } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
      },
      // A subscription may start before (or without) start(): its topic's schemas must be known first.
      (topic) => this.serde.prepareTopics([topic]),
    );
    this.health = new KafkaHealth(
      this.admin,
      this.serde,
      () => this.producer.isConnected,
      () => this.subscriber.failedSubscriptions(),
      () => this.subscriber.stuckPartitions(),
    );
  }

  /**
   * Connects the producer, creates the configured topics and their DLQs, registers their key and value
   * schemas. Idempotent; a failure is thrown (the service should not report ready) and the next call retries.
   */
  start(): Promise<void> {
    this.starting ??= this.doStart().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  /** Stops subscriptions (in-flight handlers finish, offsets are committed), then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.subscriber.stopAll();
      await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
      this.log.info({ clientId: this.options.clientId }, 'Kafka client closed');
    })();
    return this.closing;
  }

  private async doStart(): Promise<void> {
    const requests = (this.options.topics ?? []).map((t): TopicRequest =>
      typeof t === 'string' ? { topic: t } : t,
    );
    await Promise.all([
      this.producer.connect(),
      this.topics.ensureTopics(requests),
      this.serde.prepareTopics(requests.map((r) => r.topic)),
    ]);
    this.log.info(
      { clientId: this.options.clientId, topics: requests.map((r) => r.topic) },
      'Kafka client started',
    );
  }
}

import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { KafkaSecurity } from '@closeout/config';
import type { TopicName } from '@closeout/contracts';
import { EventSubscriber, type ConsumerTuning } from './consumer/event-subscriber';
import type { RetryBackoffOptions } from './consumer/retry-backoff';
import { KafkaHealth } from './health/kafka-health';
import { KafkaClient } from './kafka-client';
import { EventPublisher, type RecordSigner } from './producer/event-publisher';
import type { SchemaCatalog } from './serde/schema-catalog';
import type { TopicRequest } from './topics/topic-provisioner';

export interface KafkaModuleOptions {
  clientId: string;
  brokers: string[];
  /** TLS and SASL towards the brokers (the service's own credentials); absent means PLAINTEXT. */
  security?: KafkaSecurity;
  schemaRegistryUrl: string;
  /** Partitions for topics this service creates. Default 6. */
  defaultPartitions?: number;
  replicationFactor?: number;
  /** Topics this service produces or consumes: created with their DLQs and schemas registered at init. */
  topics: TopicName[];
  /** Schemas per topic; defaults to the contract topics. Define topics outside the contracts (upstream feeds) on it. */
  catalog?: SchemaCatalog;
  /** Topics outside the contracts, defined on `catalog`: created with their DLQs and their Avro parts registered at init. */
  extraTopics?: Array<string | TopicRequest>;
  /** See KafkaClientOptions.maxMessageBytes. */
  maxMessageBytes?: number;
  consumerDefaults?: ConsumerTuning;
  retry?: Partial<RetryBackoffOptions>;
  /** See KafkaClientOptions.signer: signs the records of the topics it covers (e.g. `createRecordSigner`). */
  signer?: RecordSigner;
}

export const KAFKA_MODULE_OPTIONS = Symbol('closeout.kafka.module-options');

/**
 * Runs the client's lifecycle inside Nest: start on module init (so a failure aborts boot, and
 * consumers in importing modules, initialised after this one, find topics and schemas ready); stop
 * consumers on module destroy and disconnect last, on application shutdown.
 */
@Injectable()
export class KafkaLifecycle implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  constructor(@Inject(KafkaClient) private readonly client: KafkaClient) {}

  onModuleInit(): Promise<void> {
    return this.client.start();
  }

  /** Consumers first, while the producer is still there for any dead letter the last handlers send. */
  onModuleDestroy(): Promise<void> {
    return this.client.subscriber.stopAll();
  }

  onApplicationShutdown(): Promise<void> {
    return this.client.close();
  }
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA_MODULE_OPTIONS, useValue: options },
        {
          provide: KafkaClient,
          inject: [KAFKA_MODULE_OPTIONS],
          useFactory: (o: KafkaModuleOptions) =>
            new KafkaClient({
              clientId: o.clientId,
              brokers: o.brokers,
              ...(o.security ? { security: o.security } : {}),
              schemaRegistryUrl: o.schemaRegistryUrl,
              topics: [...o.topics, ...(o.extraTopics ?? [])],
              ...(o.catalog ? { catalog: o.catalog } : {}),
              ...(o.defaultPartitions !== undefined ? { defaultPartitions: o.defaultPartitions } : {}),
              ...(o.replicationFactor !== undefined ? { replicationFactor: o.replicationFactor } : {}),
              ...(o.maxMessageBytes !== undefined ? { maxMessageBytes: o.maxMessageBytes } : {}),
              ...(o.consumerDefaults ? { consumerDefaults: o.consumerDefaults } : {}),
              ...(o.retry ? { retry: o.retry } : {}),
              ...(o.signer ? { signer: o.signer } : {}),
            }),
        },
        { provide: EventPublisher, inject: [KafkaClient], useFactory: (c: KafkaClient) => c.publisher },
        { provide: EventSubscriber, inject: [KafkaClient], useFactory: (c: KafkaClient) => c.subscriber },
        { provide: KafkaHealth, inject: [KafkaClient], useFactory: (c: KafkaClient) => c.health },
        KafkaLifecycle,
      ],
      exports: [KafkaClient, EventPublisher, EventSubscriber, KafkaHealth],
    };
  }
}

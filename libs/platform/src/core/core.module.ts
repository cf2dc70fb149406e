import { Module, type DynamicModule } from '@nestjs/common';
import { kafkaSecurityFromEnv, type BaseConfig } from '@closeout/config';
import type { TopicName } from '@closeout/contracts';
import { KafkaModule, type RecordSigner, type SchemaCatalog, type TopicRequest } from '@closeout/kafka';
import { AuditModule } from '@closeout/audit';
import { HealthModule } from '../health/health.module';
import { DatabaseModule, type DatabaseOptions } from '../database/database.module';
import { KafkaReadiness } from './kafka-readiness';

export interface ServiceCoreOptions {
  config: BaseConfig;
  /** Topics the service produces or consumes; created at startup with their DLQs. */
  topics: TopicName[];
  /** Schemas of topics outside the contracts (e.g. upstream feeds); defaults to the contract topics only. */
  catalog?: SchemaCatalog;
  /** Topics outside the contracts, defined on `catalog`, created with their DLQs at startup. */
  extraTopics?: Array<string | TopicRequest>;
  database: Omit<DatabaseOptions, 'url'>;
  /** Signs the records of the topics only this service may produce (see docs/security/signed-messages.md). */
  signer?: RecordSigner;
}

/**
 * What every Closeout service stands on: health and metrics endpoints, Kafka with Avro through the registry,
 * its own PostgreSQL schema with migrations applied, and the audit emitter.
 */
@Module({})
export class ServiceCoreModule {
  static forService(options: ServiceCoreOptions): DynamicModule {
    const { config } = options;
    return {
      module: ServiceCoreModule,
      imports: [
        HealthModule,
        KafkaModule.forRoot({
          clientId: config.SERVICE_NAME,
          brokers: config.KAFKA_BROKERS,
          // The service's own credentials; validated with the rest of the config at boot.
          security: kafkaSecurityFromEnv(config),
          schemaRegistryUrl: config.SCHEMA_REGISTRY_URL,
          defaultPartitions: config.KAFKA_DEFAULT_PARTITIONS,
          topics: options.topics,
          // Unset variables leave the Kafka lib's defaults.
          consumerDefaults: {
            sessionTimeoutMs: config.KAFKA_CONSUMER_SESSION_TIMEOUT_MS,
            heartbeatIntervalMs: config.KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS,
            rebalanceTimeoutMs: config.KAFKA_CONSUMER_REBALANCE_TIMEOUT_MS,
            maxWaitTimeMs: config.KAFKA_CONSUMER_MAX_WAIT_MS,
          },
          maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
          ...(options.catalog ? { catalog: options.catalog } : {}),
          ...(options.extraTopics ? { extraTopics: options.extraTopics } : {}),
          ...(options.signer ? { signer: options.signer } : {}),
        }),
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          preparedStatements: config.DB_PREPARED_STATEMENTS,
          ...options.database,
        }),
        AuditModule.forService(config.SERVICE_NAME),
      ],
      providers: [KafkaReadiness],
    };
  }
}

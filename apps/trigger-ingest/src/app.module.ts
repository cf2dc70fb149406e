import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { OUTBOX_RELAY_SETTINGS, OutboxRelayService } from '@closeout/outbox';
import { ServiceCoreModule } from '@closeout/platform';
import type { Config } from './config';
import { defaultTriggerMappings, TRIGGER_MAPPINGS } from './ingest/trigger-mappings';
import { ingestMigrations } from './persistence/ingest.migrations';
import { INGEST_SERVICE_NAME, IngestTriggerUseCase } from './triggers/ingest-trigger.use-case';
import { INGEST_API_TOKENS, KNOWN_SOURCES } from './triggers/tokens';
import { TriggersController } from './triggers/triggers.controller';
import { TriggerIngestOpenApiController } from './http/openapi';
import { UpstreamEventsConsumer } from './upstream/upstream-events.consumer';
import { UPSTREAM_TOPICS, upstreamCatalog } from './upstream/upstream-topics';

/** The source systems the configuration names (tokens and upstream topics): the only ones labels and logs may carry. */
export function knownSources(config: Config): ReadonlySet<string> {
  return new Set([
    ...config.INGEST_API_TOKENS.flatMap((e) => e.principal.sources),
    ...config.INGEST_UPSTREAM_TOPICS.flatMap((t) => (t.sourceSystem ? [t.sourceSystem] : [])),
  ]);
}

@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    const upstream = config.INGEST_UPSTREAM_TOPICS;
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({
          config,
          // customer.contact.v1 holds contact points: written here, read by messaging only; customer.facts.v1 holds
          // hashed known facts: written here, read by the mini-app only (docs/security/kafka.md). Each with its DLQ.
          topics: [Topics.caseTriggered, Topics.customerContact, Topics.customerFacts, Topics.auditEvent],
          // Upstream topics are created if missing (with their DLQs) and read with the schemas defined here.
          catalog: upstreamCatalog(upstream),
          extraTopics: upstream.map((t) => t.topic),
          database: {
            schema: 'ingest',
            entities: [],
            migrations: ingestMigrations,
          },
        }),
      ],
      controllers: [TriggersController, TriggerIngestOpenApiController],
      providers: [
        IngestTriggerUseCase,
        // case.triggered.v1, customer.contact.v1, customer.facts.v1 and the audit events of its decisions, from the `ingest` schema's outbox.
        OutboxRelayService,
        UpstreamEventsConsumer,
        { provide: INGEST_SERVICE_NAME, useValue: config.SERVICE_NAME },
        { provide: OUTBOX_RELAY_SETTINGS, useValue: { retentionMs: config.OUTBOX_RETENTION_MS } },
        { provide: INGEST_API_TOKENS, useValue: config.INGEST_API_TOKENS },
        { provide: UPSTREAM_TOPICS, useValue: upstream },
        { provide: KNOWN_SOURCES, useValue: knownSources(config) },
        { provide: TRIGGER_MAPPINGS, useFactory: defaultTriggerMappings },
      ],
    };
  }
}

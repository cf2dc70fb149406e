import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import type { Config } from './config';
import { defaultTriggerMappings, TRIGGER_MAPPINGS } from './ingest/trigger-mappings';
import { SourceEvent1732240000000 } from './persistence/1732240000000-source-event.migration';
import { SourceEventVersions1732250000000 } from './persistence/1732250000000-source-event-versions.migration';
import { SourceEventFingerprint1732260000000 } from './persistence/1732260000000-source-event-fingerprint.migration';
import { IngestTriggerUseCase } from './triggers/ingest-trigger.use-case';
import { INGEST_API_TOKENS, KNOWN_SOURCES } from './triggers/tokens';
import { TriggersController } from './triggers/triggers.controller';
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
          topics: [Topics.caseTriggered, Topics.auditEvent],
          // Upstream topics are created if missing (with their DLQs) and read with the schemas defined here.
          catalog: upstreamCatalog(upstream),
          extraTopics: upstream.map((t) => t.topic),
          database: {
            schema: 'ingest',
            entities: [],
            migrations: [
              SourceEvent1732240000000,
              SourceEventVersions1732250000000,
              SourceEventFingerprint1732260000000,
            ],
          },
        }),
      ],
      controllers: [TriggersController],
      providers: [
        IngestTriggerUseCase,
        UpstreamEventsConsumer,
        { provide: INGEST_API_TOKENS, useValue: config.INGEST_API_TOKENS },
        { provide: UPSTREAM_TOPICS, useValue: upstream },
        { provide: KNOWN_SOURCES, useValue: knownSources(config) },
        { provide: TRIGGER_MAPPINGS, useFactory: defaultTriggerMappings },
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { OUTBOX_RELAY_SETTINGS, OutboxRelayService } from '@closeout/outbox';
import { ServiceCoreModule } from '@closeout/platform';
import type { Config } from './config';
import { CORE_EXTRACTS } from './extracts/core-extract.port';
import { parseExtractConfigs } from './extracts/extract-config';
import { buildExtractAdapters } from './extracts/extract-registry';
import { ReconcilerController } from './http/reconciler.controller';
import { ReconcilerOpenApiController } from './http/openapi';
import { ReconcilerIntakeConsumer } from './intake/reconciler-intake.consumer';
import { reconcilerMigrations } from './persistence/reconciler.migrations';
import { ReconcileScheduler } from './reconcile/reconcile-scheduler';
import { RECONCILER_CONFIG } from './reconciler.tokens';

/**
 * reconciler: the independent second line of defence. Its own view from the topics, the cores' extracts through
 * one adapter each, breaks with commands to the owning writeback service, SLO figures (alerting on them is
 * Prometheus's) and its POSTED_TWICE alerts with the postings to reverse.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated at boot: a bad extract stops the service with the field and rule named.
    const extracts = buildExtractAdapters(parseExtractConfigs(config.RECONCILER_EXTRACTS));
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [Topics.writebackRequested, Topics.writebackResult, Topics.caseState, Topics.writebackCommand, Topics.auditEvent],
          database: { schema: config.RECONCILER_DB_SCHEMA, entities: [], migrations: reconcilerMigrations },
        }),
      ],
      controllers: [ReconcilerController, ReconcilerOpenApiController],
      providers: [
        { provide: RECONCILER_CONFIG, useValue: config },
        { provide: CORE_EXTRACTS, useValue: extracts },
        ReconcilerIntakeConsumer,
        ReconcileScheduler,
        // The audit events of the breaks and alerts it records, from its schema's outbox.
        OutboxRelayService,
        { provide: OUTBOX_RELAY_SETTINGS, useValue: { retentionMs: config.OUTBOX_RETENTION_MS } },
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { createRecordSigner, readSigningKey } from '@closeout/kafka';
import { OUTBOX_RELAY_SETTINGS, OutboxRelayService } from '@closeout/outbox';
import { provideDomainErrorStatuses, ServiceCoreModule } from '@closeout/platform';
import type { Config } from './config';
import { orchestratorMigrations } from './persistence/orchestrator.migrations';
import { OpenCaseUseCase } from './cases/open-case.use-case';
import { CaseEventsConsumer } from './cases/case-events.consumer';
import { CaseBatchRunner } from './cases/case-batch';
import { CaseQueries } from './cases/case-queries';
import { EligibleActionsQuery } from './cases/eligible-actions.query';
import { ORCHESTRATOR_INSTANCE } from './cases/orchestrator-instance';
import { TakeActionUseCase } from './actions/take-action.use-case';
import { RecordOutreachEventUseCase } from './outreach/record-outreach-event.use-case';
import { RecordWritebackResultUseCase } from './writebacks/record-writeback-result.use-case';
import { FireTimerUseCase } from './timers/fire-timer.use-case';
import { TIMER_SCHEDULER_OPTIONS, TimerScheduler } from './timers/timer.scheduler';
import { RESOLVE_ERROR_STATUSES, ResolveExceptionUseCase } from './exceptions/resolve-exception.use-case';
import { FlagBreakUseCase } from './exceptions/flag-break.use-case';
import {
  WORKFLOW_DEFINITIONS_DIR,
  WORKFLOW_GOLDEN_PAYLOADS_DIR,
  WorkflowCatalog,
} from './workflows/workflow-catalog';
import { CasesController, ON_BEHALF_OF_PRINCIPALS } from './http/cases.controller';
import { OrchestratorOpenApiController } from './http/openapi';

@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [
            Topics.caseTriggered,
            Topics.outreachEvent,
            Topics.miniappAction,
            Topics.writebackResult,
            Topics.writebackCommand,
            Topics.outreachRequested,
            Topics.writebackRequested,
            Topics.caseState,
            Topics.auditEvent,
          ],
          // Signed as encoded, in the outbox relay's publish: the signature covers the exact bytes on the wire.
          signer: createRecordSigner({
            keyId: config.WRITEBACK_REQUEST_SIGNING_KEY_ID,
            privateKey: readSigningKey(config.WRITEBACK_REQUEST_SIGNING_KEY_FILE),
            topics: [Topics.writebackRequested],
          }),
          database: {
            schema: config.ORCHESTRATOR_DB_SCHEMA,
            entities: [],
            migrations: orchestratorMigrations,
            poolSize: config.ORCHESTRATOR_DB_POOL,
          },
        }),
      ],
      controllers: [CasesController, OrchestratorOpenApiController],
      providers: [
        provideDomainErrorStatuses(RESOLVE_ERROR_STATUSES),
        { provide: ON_BEHALF_OF_PRINCIPALS, useValue: config.ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS },
        {
          provide: ORCHESTRATOR_INSTANCE,
          useValue: { serviceName: config.SERVICE_NAME, schema: config.ORCHESTRATOR_DB_SCHEMA },
        },
        { provide: WORKFLOW_DEFINITIONS_DIR, useValue: config.WORKFLOW_DEFINITIONS_DIR },
        {
          // The orchestrator's outbox (case.state, outreach.requested, writeback.requested, audit) in its own schema.
          provide: OUTBOX_RELAY_SETTINGS,
          useValue: { schema: config.ORCHESTRATOR_DB_SCHEMA, retentionMs: config.OUTBOX_RETENTION_MS },
        },
        { provide: WORKFLOW_GOLDEN_PAYLOADS_DIR, useValue: config.WORKFLOW_GOLDEN_PAYLOADS_DIR },
        {
          provide: TIMER_SCHEDULER_OPTIONS,
          useValue: { pollMs: config.ORCHESTRATOR_TIMER_POLL_MS, batch: config.ORCHESTRATOR_TIMER_BATCH },
        },
        WorkflowCatalog,
        OpenCaseUseCase,
        TakeActionUseCase,
        RecordOutreachEventUseCase,
        RecordWritebackResultUseCase,
        FireTimerUseCase,
        ResolveExceptionUseCase,
        FlagBreakUseCase,
        CaseQueries,
        EligibleActionsQuery,
        CaseBatchRunner,
        CaseEventsConsumer,
        OutboxRelayService,
        TimerScheduler,
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import type { Config } from './config';
import { TriggersController } from './triggers/triggers.controller';
import { IngestTriggerUseCase } from './triggers/ingest-trigger.use-case';
import { INGEST_API_TOKENS } from './triggers/tokens';
import { SourceEvent1732240000000 } from './persistence/1732240000000-source-event.migration';

@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [Topics.caseTriggered, Topics.auditEvent],
          database: { schema: 'ingest', entities: [], migrations: [SourceEvent1732240000000] },
        }),
      ],
      controllers: [TriggersController],
      providers: [IngestTriggerUseCase, { provide: INGEST_API_TOKENS, useValue: config.INGEST_API_TOKENS }],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import type { BaseConfig } from '@closeout/config';
import { Cases1732240000001 } from './persistence/1732240000001-cases.migration';
import { OpenCaseUseCase } from './cases/open-case.use-case';
import { CaseTriggeredConsumer } from './cases/case-triggered.consumer';

@Module({})
export class AppModule {
  static register(config: BaseConfig): DynamicModule {
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
            Topics.outreachRequested,
            Topics.writebackRequested,
            Topics.caseState,
            Topics.auditEvent,
          ],
          database: { schema: 'orchestrator', entities: [], migrations: [Cases1732240000001] },
        }),
      ],
      providers: [OpenCaseUseCase, CaseTriggeredConsumer],
    };
  }
}

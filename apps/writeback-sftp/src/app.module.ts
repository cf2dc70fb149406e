import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import type { BaseConfig } from '@closeout/config';

@Module({})
export class AppModule {
  static register(config: BaseConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [Topics.writebackRequested, Topics.writebackResult, Topics.writebackCommand, Topics.auditEvent],
          database: { schema: 'writeback_sftp', entities: [], migrations: [] },
        }),
      ],
    };
  }
}

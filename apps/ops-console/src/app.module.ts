import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from '@closeout/platform';
import { LoginLimits } from './auth/login-limits';
import { SessionStore } from './auth/sessions';
import { ConsoleReadiness } from './clients/console-readiness';
import { Sources } from './clients/sources';
import type { Config } from './config';
import { CONSOLE_OPERATORS, CONSOLE_SESSION_SECONDS, ConsoleController } from './http/console.controller';
import { AssetsController } from './pages/assets.controller';
import { PageRenderer } from './pages/page-renderer';

/** The ops console: server-rendered pages over the other services' APIs; no Kafka, no database of its own. */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule],
      controllers: [ConsoleController, AssetsController],
      providers: [
        { provide: PageRenderer, useValue: new PageRenderer() },
        {
          provide: SessionStore,
          useValue: new SessionStore({
            idleMs: config.CONSOLE_SESSION_IDLE_SECONDS * 1000,
            maxMs: config.CONSOLE_SESSION_MAX_SECONDS * 1000,
          }),
        },
        {
          provide: LoginLimits,
          useValue: new LoginLimits({
            perIpPerMinute: config.CONSOLE_LOGIN_RATE_LIMIT_PER_IP,
            failuresPerOperator: config.CONSOLE_LOGIN_FAILURES_PER_OPERATOR,
          }),
        },
        { provide: Sources, useValue: new Sources(config) },
        { provide: CONSOLE_OPERATORS, useValue: config.CONSOLE_OPERATORS },
        { provide: CONSOLE_SESSION_SECONDS, useValue: config.CONSOLE_SESSION_MAX_SECONDS },
        ConsoleReadiness,
      ],
    };
  }
}

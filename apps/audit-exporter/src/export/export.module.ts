import {
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createLogger } from '@closeout/telemetry';
import { AuditExport1799900000000 } from './1799900000000-audit-export.migration';
import type { ExportConfig } from './export.config';
import { ExportRunner } from './export.runner';

export { exportConfigFrom, exportEnvSchema, exportEnvShape, type ExportConfig } from './export.config';
export { ExportRunner } from './export.runner';

/** The export's migrations, appended to the audit-exporter's (after the store's: the timestamp orders them). */
export const EXPORT_MIGRATIONS = [AuditExport1799900000000];

const EXPORT_CONFIG = Symbol('EXPORT_CONFIG');

class ExportLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(readonly runner: ExportRunner) {}

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}

/**
 * SIEM export of the audit store: Splunk HEC with indexer acknowledgement and syslog RFC 5424 over TLS, OCSF events,
 * each sink on or off by config with its own position and loop. Needs the platform's DatabaseModule (the DataSource
 * on schema `audit`) and EXPORT_MIGRATIONS in its migrations.
 */
@Module({})
export class ExportModule {
  static register(config: ExportConfig): DynamicModule {
    return {
      module: ExportModule,
      providers: [
        { provide: EXPORT_CONFIG, useValue: config },
        {
          provide: ExportRunner,
          inject: [DataSource, EXPORT_CONFIG],
          useFactory: (db: DataSource, c: ExportConfig) =>
            new ExportRunner(db, c, createLogger('audit-export')),
        },
        {
          provide: ExportLifecycle,
          inject: [ExportRunner],
          useFactory: (runner: ExportRunner) => new ExportLifecycle(runner),
        },
      ],
      exports: [ExportRunner],
    };
  }
}

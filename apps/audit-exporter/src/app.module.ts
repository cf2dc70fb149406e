import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import type { Config } from './config';
import { EXPORT_MIGRATIONS, ExportModule } from './export/export.module';
import { AuditController } from './http/audit.controller';
import { AuditOpenApiController } from './http/openapi';
import { auditMigrations } from './persistence/1797600000000-audit-store.migration';
import { AuditEventConsumer, type AuditServiceSettings } from './store/audit-event.consumer';
import { AuditStoreWriter, type AuditStoreSettings } from './store/audit-store.writer';
import { CaseTrailQuery } from './store/case-trail.query';
import { AUDIT_SERVICE_SETTINGS, AUDIT_STORE_SETTINGS } from './tokens';
import { StoreVerificationService } from './verify/store-verification.service';

/** What a caller may set when building the module (the specs: new events only). */
export interface AppModuleOptions {
  fromBeginning?: boolean;
}

@Module({})
export class AppModule {
  static register(config: Config, options: AppModuleOptions = {}): DynamicModule {
    const store: AuditStoreSettings = {
      schema: config.AUDIT_DB_SCHEMA,
      checkpointEveryRecords: config.AUDIT_CHECKPOINT_EVERY_RECORDS,
      checkpointEveryMs: config.AUDIT_CHECKPOINT_EVERY_MS,
      ...(config.signer ? { signer: config.signer } : {}),
    };
    const service: AuditServiceSettings = {
      serviceName: config.SERVICE_NAME,
      fromBeginning: options.fromBeginning ?? true,
      checkpointEveryMs: config.AUDIT_CHECKPOINT_EVERY_MS,
    };
    return {
      module: AppModule,
      controllers: [AuditController, AuditOpenApiController],
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [Topics.auditEvent],
          database: {
            schema: config.AUDIT_DB_SCHEMA,
            entities: [],
            // The store's, then the SIEM export's (its positions, reading the store's records).
            migrations: [...auditMigrations, ...EXPORT_MIGRATIONS],
            poolSize: config.AUDIT_DB_POOL,
          },
        }),
        ExportModule.register(config.siemExport),
      ],
      providers: [
        { provide: AUDIT_STORE_SETTINGS, useValue: store },
        { provide: AUDIT_SERVICE_SETTINGS, useValue: service },
        {
          provide: AuditStoreWriter,
          inject: [getDataSourceToken()],
          useFactory: (db: DataSource) => new AuditStoreWriter(db, store),
        },
        AuditEventConsumer,
        CaseTrailQuery,
        StoreVerificationService,
      ],
    };
  }
}

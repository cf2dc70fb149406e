import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import {
  parseSftpDestinations,
  SftpDestination,
  writebackEntities,
  writebackMigrations,
  writebackServiceOptions,
} from '@closeout/writeback-adapters';
import { WritebackServiceModule } from '@closeout/writeback-adapters/nest';
import type { Config } from './config';

/**
 * writeback-sftp: the ledger protocol for batch systems of record reached over SFTP. The worker is the shared one;
 * the SFTP destination groups the records it sends into batch files and answers each from the core's receipts.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated here, at boot: a bad destination stops the service with the field and rule named.
    const destinations = parseSftpDestinations(config.WRITEBACK_SFTP_DESTINATIONS).map((settings) => ({
      destination: new SftpDestination(settings),
      honoursIdempotencyKey: settings.honoursIdempotencyKey,
      lookupVisibilityMs: settings.lookupVisibilityMs,
      confirmAnswersByLookup: settings.confirmAnswersByLookup,
      mappingsOf: settings.mappingsOf,
    }));
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [
            Topics.writebackRequested,
            Topics.writebackResult,
            Topics.writebackCommand,
            Topics.auditEvent,
          ],
          database: {
            schema: config.WRITEBACK_DB_SCHEMA,
            entities: writebackEntities,
            migrations: writebackMigrations,
            poolSize: 20,
          },
        }),
        WritebackServiceModule.register(writebackServiceOptions(config, 'SFTP', destinations)),
      ],
    };
  }
}

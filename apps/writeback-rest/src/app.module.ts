import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import { createLogger } from '@closeout/telemetry';
import {
  parseRestDestinations,
  RestDestination,
  writebackEntities,
  writebackMigrations,
  writebackServiceOptions,
} from '@closeout/writeback-adapters';
import { WritebackServiceModule } from '@closeout/writeback-adapters/nest';
import type { Config } from './config';

/**
 * writeback-rest: the ledger protocol for REST systems of record. Everything but the HTTP adapter is the shared
 * writeback core; this module only turns validated config into destinations.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated here, at boot: a bad destination stops the service with the field and rule named.
    const destinations = parseRestDestinations(config.WRITEBACK_REST_DESTINATIONS).map((settings) => ({
      destination: new RestDestination(settings, createLogger(`writeback.rest.${settings.name}`)),
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
        WritebackServiceModule.register(writebackServiceOptions(config, 'REST', destinations)),
      ],
    };
  }
}

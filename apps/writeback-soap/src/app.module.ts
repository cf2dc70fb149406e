import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import {
  parseSoapDestinations,
  SoapDestination,
  writebackEntities,
  writebackMigrations,
  writebackServiceOptions,
} from '@closeout/writeback-adapters';
import { WritebackServiceModule } from '@closeout/writeback-adapters/nest';
import type { Config } from './config';

/**
 * writeback-soap: the ledger protocol for SOAP systems of record. Everything but the SOAP adapter (pinned WSDL,
 * RequestContext header, vendor fault table, QueryTransaction lookups) is the shared writeback core.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated here, at boot: a bad destination stops the service with the field and rule named.
    const destinations = parseSoapDestinations(config.WRITEBACK_SOAP_DESTINATIONS).map((settings) => ({
      destination: new SoapDestination(settings),
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
        WritebackServiceModule.register(writebackServiceOptions(config, 'SOAP', destinations)),
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger } from '@closeout/telemetry';
import { parseRestDestinations, RestDestination } from '@closeout/writeback-adapter-rest';
import { servedDestination, writebackAppImports } from '@closeout/writeback-core/nest';
import type { Config } from './config';

/**
 * writeback-rest: the ledger protocol for REST systems of record. Everything but the HTTP adapter is the shared
 * writeback core; this module only turns validated config into destinations.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated here, at boot: a bad destination stops the service with the field and rule named.
    const destinations = parseRestDestinations(config.WRITEBACK_REST_DESTINATIONS).map((settings) =>
      servedDestination(new RestDestination(settings, createLogger(`writeback.rest.${settings.name}`)), settings),
    );
    return { module: AppModule, imports: writebackAppImports(config, 'REST', destinations) };
  }
}

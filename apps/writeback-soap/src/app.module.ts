import { Module, type DynamicModule } from '@nestjs/common';
import { parseSoapDestinations, SoapDestination } from '@closeout/writeback-adapter-soap';
import { servedDestination, writebackAppImports } from '@closeout/writeback-core/nest';
import type { Config } from './config';

/**
 * writeback-soap: the ledger protocol for SOAP systems of record. Everything but the SOAP adapter (pinned WSDL,
 * RequestContext header, vendor fault table, QueryTransaction lookups) is the shared writeback core.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated here, at boot: a bad destination stops the service with the field and rule named.
    const destinations = parseSoapDestinations(config.WRITEBACK_SOAP_DESTINATIONS).map((settings) =>
      servedDestination(new SoapDestination(settings), settings),
    );
    return { module: AppModule, imports: writebackAppImports(config, 'SOAP', destinations) };
  }
}

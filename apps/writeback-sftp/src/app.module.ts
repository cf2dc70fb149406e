import { Module, type DynamicModule } from '@nestjs/common';
import { parseSftpDestinations, SftpDestination } from '@closeout/writeback-adapter-sftp';
import { servedDestination, writebackAppImports } from '@closeout/writeback-core/nest';
import type { Config } from './config';

/**
 * writeback-sftp: the ledger protocol for batch systems of record reached over SFTP. The worker is the shared one;
 * the SFTP destination groups the records it sends into batch files and answers each from the core's receipts.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated here, at boot: a bad destination stops the service with the field and rule named.
    const destinations = parseSftpDestinations(config.WRITEBACK_SFTP_DESTINATIONS).map((settings) =>
      servedDestination(new SftpDestination(settings), settings),
    );
    return { module: AppModule, imports: writebackAppImports(config, 'SFTP', destinations) };
  }
}

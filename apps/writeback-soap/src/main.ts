// Writes outcomes to SOAP systems of record, exactly once, through the writeback ledger.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'writeback-soap', port: 3006, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

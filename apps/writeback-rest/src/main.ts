// Writes outcomes to REST systems of record, exactly once, through the writeback ledger.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'writeback-rest', port: 3005, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

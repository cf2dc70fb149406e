// Writes outcomes to batch systems of record over SFTP, exactly once, through the writeback ledger.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'writeback-sftp', port: 3007, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

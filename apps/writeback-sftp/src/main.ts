// Writes outcomes to batch systems of record over SFTP, exactly once, through the writeback ledger.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'writeback-sftp',
  port: 3007,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
});

// Writes outcomes to REST systems of record, exactly once, through the writeback ledger.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'writeback-rest',
  port: 3005,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
});

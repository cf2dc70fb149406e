// Writes outcomes to SOAP systems of record, exactly once, through the writeback ledger.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'writeback-soap',
  port: 3006,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
});

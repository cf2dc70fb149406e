// Turns upstream events into canonical case.triggered.v1 triggers, deduplicated by source event id.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'trigger-ingest',
  port: 3001,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
});

// Turns upstream events into canonical case.triggered.v1 triggers, deduplicated by source event id.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'trigger-ingest',
  port: 3001,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
  // Bearer authentication on /v1 before the body is read; the controller binds the principal to its sources.
  http: (config) => ({ tokens: config.INGEST_API_TOKENS, protectedPrefixes: ['/v1'] }),
});

// Runs each case through its workflow definition: durable state and timers, writebacks, the exception queue.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'orchestrator',
  port: 3002,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
});

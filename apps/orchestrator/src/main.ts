// Runs each case through its workflow definition: durable state and timers, writebacks, the exception queue.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'orchestrator',
  port: 3002,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
  // The case and exception API: an agent's token names the agent recorded as resolving an exception.
  http: (config) => ({ tokens: config.ORCHESTRATOR_API_TOKENS, protectedPrefixes: ['/v1'] }),
});

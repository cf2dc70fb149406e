// Matches what was requested and reported against the systems of record and reports every break.
import { launchService } from '@closeout/platform/launch';
import { configSchema, type Config } from './config';

launchService<Config>({
  name: 'reconciler',
  port: 3008,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
  http: (config) => ({ tokens: config.RECONCILER_API_TOKENS, protectedPrefixes: ['/v1'] }),
});

// Stores audit.event.v1 in a hash-chained, append-only store with signed checkpoints; serves a case's trail and the
// store's verification.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';
import { auditHttpOptions } from './http/http-options';

launchService({
  name: 'audit-exporter',
  port: 3009,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
  http: auditHttpOptions,
});

// Stores audit.event.v1 in a hash-chained store and exports it to SIEMs.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'audit-exporter', port: 3009, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

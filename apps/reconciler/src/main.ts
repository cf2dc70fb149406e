// Matches what was requested and reported against the systems of record and reports every break.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'reconciler', port: 3008, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

// Runs each case through its workflow definition and opens cases from triggers.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'orchestrator', port: 3002, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

// Serves the customer's mini-app and publishes what they do as miniapp.action.v1.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'mini-app-backend', port: 3004, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

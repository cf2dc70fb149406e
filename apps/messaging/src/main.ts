// Reaches customers over SMS, email and WhatsApp for outreach.requested.v1.
import { launchService } from '@closeout/platform/launch';

launchService({ name: 'messaging', port: 3003, appModule: async (config) => (await import('./app.module')).AppModule.register(config) });

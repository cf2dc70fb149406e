// Reaches customers over SMS, email and WhatsApp for outreach.requested.v1 and reports what became of each message.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';

launchService({
  name: 'messaging',
  port: 3003,
  configSchema,
  appModule: async (config) => (await import('./app.module')).AppModule.register(config),
  // Provider webhooks (signed over their raw body) and the one-click unsubscribe (a form) read their own body.
  http: () => ({ rawBodyPrefixes: ['/webhooks', '/l/'] }),
});

// Serves the customer's mini-app and publishes what they do as miniapp.action.v1.
import { launchService } from '@closeout/platform/launch';
import { configSchema } from './config';
import { FORM_ROUTE_PREFIXES } from './http/routes';

launchService({
  name: 'mini-app-backend',
  port: 3004,
  configSchema,
  appModule: async (config) => {
    const [{ AppModule }, { miniAppModuleOptions }] = await Promise.all([
      import('./app.module'),
      import('./wiring'),
    ]);
    return AppModule.register(config, miniAppModuleOptions(config));
  },
  http: () => ({ rawBodyPrefixes: FORM_ROUTE_PREFIXES }),
});

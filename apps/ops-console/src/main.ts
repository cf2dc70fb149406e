// The ops console: the exception queue, cases, SLOs, breaks and alerts for operations staff, behind sign-in.
// It reads no Kafka and keeps no database, so it starts on its own config rather than the services' base one.
import { ConfigError, loadConfig } from '@closeout/config';
import { configureLogging, initTelemetryFrom } from '@closeout/telemetry';
import { configSchema, type Config } from './config';

let config: Config;
try {
  config = loadConfig(configSchema, { SERVICE_NAME: 'ops-console', HTTP_PORT: '3010', ...process.env });
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
initTelemetryFrom(config);
configureLogging({ level: config.LOG_LEVEL, service: config.SERVICE_NAME });

const start = async (): Promise<void> => {
  const [{ bootstrapService }, { AppModule }, { CONSOLE_HTTP }] = await Promise.all([
    import('@closeout/platform'),
    import('./app.module'),
    import('./http/routes'),
  ]);
  await bootstrapService(AppModule.register(config), {
    serviceName: config.SERVICE_NAME,
    port: config.HTTP_PORT,
    http: CONSOLE_HTTP,
  });
};
start().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

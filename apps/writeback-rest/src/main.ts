// Writes outcomes to REST systems of record, exactly once, through the writeback ledger.
import { initTelemetry, configureLogging } from '@closeout/telemetry';
import { loadServiceConfig } from './config';

const config = loadServiceConfig();
initTelemetry({ serviceName: config.SERVICE_NAME, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
configureLogging({ level: config.LOG_LEVEL, service: config.SERVICE_NAME });

async function main(): Promise<void> {
  // Nest and the clients load after telemetry has started, so their work is traced from the first call.
  const { bootstrapService } = await import('@closeout/platform');
  const { AppModule } = await import('./app.module');
  await bootstrapService(AppModule.register(config), { serviceName: config.SERVICE_NAME, port: config.HTTP_PORT });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * The start of every service's main.ts, kept apart from the platform's index so that loading it does not
 * load Nest: config is validated (failing fast with the variable's name), OpenTelemetry starts, and only then
 * are Nest, the clients and the app module imported, so their work is traced from the first call.
 */
import type { DynamicModule } from '@nestjs/common';
import { baseEnvSchema, loadConfig, ConfigError, type BaseConfig, type z } from '@closeout/config';
import { configureLogging, initTelemetryFrom } from '@closeout/telemetry';
import type { HttpOptions } from './http/configure-http';

export interface LaunchOptions<C extends BaseConfig> {
  /** Default SERVICE_NAME. */
  name: string;
  /** Default HTTP_PORT for local runs; deployments set it. */
  port: number;
  /** The service's config schema when it reads more than the base variables. */
  configSchema?: z.ZodType<C>;
  appModule: (config: C) => Promise<DynamicModule>;
  /** The service's HTTP settings, e.g. `(config) => ({ tokens: config.X_API_TOKENS, protectedPrefixes: ['/v1'] })`. */
  http?: (config: C) => HttpOptions;
}

export function launchService<C extends BaseConfig = BaseConfig>(options: LaunchOptions<C>): void {
  let config: C;
  try {
    // Without a schema of its own the service reads the base variables, whose output is BaseConfig (= C).
    const schema = options.configSchema ?? (baseEnvSchema as unknown as z.ZodType<C>);
    config = loadConfig(schema, {
      SERVICE_NAME: options.name,
      HTTP_PORT: String(options.port),
      ...process.env,
    });
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  }
  initTelemetryFrom(config);
  configureLogging({ level: config.LOG_LEVEL, service: config.SERVICE_NAME });

  const start = async (): Promise<void> => {
    const { bootstrapService } = await import('./bootstrap/bootstrap');
    await bootstrapService(await options.appModule(config), {
      serviceName: config.SERVICE_NAME,
      port: config.HTTP_PORT,
      http: options.http?.(config),
    });
  };
  start().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

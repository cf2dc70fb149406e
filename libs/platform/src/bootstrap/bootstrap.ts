import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplication, LoggerService, Type } from '@nestjs/common';
import { createLogger } from '@closeout/telemetry';
import { configureHttp, type HttpOptions } from '../http/configure-http';

/** Nest's own log lines go through pino, so they carry the service name and correlation id like ours. */
class PinoNestLogger implements LoggerService {
  private readonly logger = createLogger('nest');
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

export interface BootstrapOptions {
  serviceName: string;
  port: number;
  host?: string;
  /** The service's HTTP settings (tokens, protected prefixes, body limit). */
  http?: HttpOptions;
}

/** Boots a Closeout service: pino logging, shutdown hooks (Kafka consumers drain on SIGTERM), HTTP listen. */
export async function bootstrapService(
  module: Type<unknown> | DynamicModule,
  options: BootstrapOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    logger: new PinoNestLogger(),
    bufferLogs: false,
    bodyParser: false,
  });
  configureHttp(app, options.http);
  app.enableShutdownHooks();
  await app.listen(options.port, options.host ?? '0.0.0.0');
  createLogger('bootstrap').info({ port: options.port }, `${options.serviceName} listening`);
  return app;
}

import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import { createLogger } from '@closeout/telemetry';
import { retryPolicyFor } from '@closeout/writeback-domain';
import {
  parseRestDestinations,
  RestDestination,
  writebackEntities,
  writebackMigrations,
} from '@closeout/writeback-adapters';
import { WritebackServiceModule } from '@closeout/writeback-adapters/nest';
import type { Config } from './config';

/**
 * writeback-rest: the ledger protocol for REST systems of record. Everything but the HTTP adapter is the shared
 * writeback core; this module only turns validated config into destinations.
 */
@Module({})
export class AppModule {
  static register(config: Config): DynamicModule {
    // Validated here, at boot: a bad destination stops the service with the field and rule named.
    const destinations = parseRestDestinations(config.WRITEBACK_REST_DESTINATIONS).map((settings) => ({
      destination: new RestDestination(settings, createLogger(`writeback.rest.${settings.name}`)),
      policy: retryPolicyFor(settings.name, {
        ...config.WRITEBACK_RETRY_POLICY,
        [settings.name]: {
          // A core that ignores Idempotency-Key makes a retried 5xx a possible double posting: resolve it instead.
          destinationHonoursIdempotencyKey: settings.honoursIdempotencyKey,
          ...config.WRITEBACK_RETRY_POLICY[settings.name],
        },
      }),
      breaker: config.WRITEBACK_BREAKER[settings.name] ?? {},
    }));
    const unknownOverrides = [
      ...Object.keys(config.WRITEBACK_RETRY_POLICY),
      ...Object.keys(config.WRITEBACK_BREAKER),
    ].filter((name) => !destinations.some((d) => d.destination.name === name));
    if (unknownOverrides.length > 0) {
      throw new Error(
        `WRITEBACK_RETRY_POLICY / WRITEBACK_BREAKER: no destination named ${unknownOverrides.join(', ')} in WRITEBACK_REST_DESTINATIONS`,
      );
    }
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forService({
          config,
          topics: [
            Topics.writebackRequested,
            Topics.writebackResult,
            Topics.writebackCommand,
            Topics.auditEvent,
          ],
          database: {
            schema: config.WRITEBACK_DB_SCHEMA,
            entities: writebackEntities,
            migrations: writebackMigrations,
            poolSize: 20,
          },
        }),
        WritebackServiceModule.register({
          service: config.SERVICE_NAME,
          protocol: 'REST',
          destinations,
          worker: {
            concurrency: config.WRITEBACK_WORKER_CONCURRENCY,
            batchSize: config.WRITEBACK_WORKER_BATCH_SIZE,
            leaseMs: config.WRITEBACK_LEASE_MS,
            idlePollMs: config.WRITEBACK_IDLE_POLL_MS,
          },
          intakeConsumer: {
            sessionTimeoutMs: config.WRITEBACK_INTAKE_SESSION_TIMEOUT_MS,
            heartbeatIntervalMs: Math.floor(config.WRITEBACK_INTAKE_SESSION_TIMEOUT_MS / 6),
          },
        }),
      ],
    };
  }
}

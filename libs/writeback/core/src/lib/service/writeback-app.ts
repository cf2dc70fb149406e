import type { DynamicModule } from '@nestjs/common';
import type { BaseConfig } from '@closeout/config';
import { Topics, type Protocol } from '@closeout/contracts';
import { ServiceCoreModule } from '@closeout/platform';
import type { WritebackDestination } from '../destination/writeback-destination';
import { writebackEntities } from '../persistence/entities';
import { writebackMigrations } from '../persistence/migrations';
import { writebackServiceOptions, type WritebackServiceEnv } from './writeback-service.config';
import { WritebackServiceModule } from './writeback-service.module';

/** What a destination's settings declare about its core, as every protocol's parser reads it. */
interface DeclaredSemantics {
  honoursIdempotencyKey: boolean;
  lookupVisibilityMs?: number | undefined;
  confirmAnswersByLookup?: boolean | undefined;
  mappingsOf?: string | undefined;
}

/** A built destination with what its settings declare about its core: one entry of `writebackAppImports`. */
export function servedDestination(destination: WritebackDestination, settings: DeclaredSemantics) {
  return {
    destination,
    honoursIdempotencyKey: settings.honoursIdempotencyKey,
    lookupVisibilityMs: settings.lookupVisibilityMs,
    confirmAnswersByLookup: settings.confirmAnswersByLookup,
    mappingsOf: settings.mappingsOf,
  };
}

/**
 * Everything a writeback app imports, the same for every protocol: the service core (config, Kafka with the writeback
 * topics, the ledger's schema and migrations, health, metrics, audit) and the writeback service over the app's
 * destinations. An app only parses its protocol's destinations and builds them.
 */
export function writebackAppImports(
  config: BaseConfig & WritebackServiceEnv & { WRITEBACK_DB_SCHEMA: string },
  protocol: Protocol,
  destinations: ReadonlyArray<ReturnType<typeof servedDestination>>,
): DynamicModule[] {
  return [
    ServiceCoreModule.forService({
      config,
      topics: [Topics.writebackRequested, Topics.writebackResult, Topics.writebackCommand, Topics.auditEvent],
      database: {
        schema: config.WRITEBACK_DB_SCHEMA,
        entities: writebackEntities,
        migrations: writebackMigrations,
        poolSize: 20,
      },
    }),
    WritebackServiceModule.register(writebackServiceOptions(config, protocol, destinations)),
  ];
}

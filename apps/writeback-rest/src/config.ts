import { baseEnvSchema } from '@closeout/config';
import { dbSchemaEnv, jsonEnv, writebackServiceEnv } from '@closeout/writeback-adapters';
import type { z } from 'zod';

/**
 * writeback-rest's settings: the shared writeback settings, plus the REST destinations (base URL, auth, pinned API
 * versions, timeouts, rate limits) as one JSON array, validated field by field when the service builds them (see
 * RestDestination's config). In a deployment the whole variable comes from a secret: it carries credentials.
 */
export const configSchema = baseEnvSchema.extend({
  ...writebackServiceEnv,
  /**
   * 6 s, the brokers' smallest session, instead of the shared 30 s: after a crash the partitions of writeback-rest's
   * groups wait for the dead process's session to time out, its own replacement included (kafkajs has no static
   * membership). Measured by tools/harness/writeback/rejoin-after-kill.ts: the restarted service consumed ~30 s after
   * its start, now ~6 s. A slow handler does not evict a live member: the subscriber heartbeats while it runs.
   */
  WRITEBACK_INTAKE_SESSION_TIMEOUT_MS:
    writebackServiceEnv.WRITEBACK_INTAKE_SESSION_TIMEOUT_MS.unwrap().default(6_000),
  WRITEBACK_REST_DESTINATIONS: jsonEnv('an array of REST destinations'),
  WRITEBACK_DB_SCHEMA: dbSchemaEnv.default('writeback_rest'),
});

export type Config = z.infer<typeof configSchema>;

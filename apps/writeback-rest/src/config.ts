import { baseEnvSchema } from '@closeout/config';
import { dbSchemaEnv, jsonEnv, writebackServiceEnv } from '@closeout/writeback-core';
import type { z } from 'zod';

/**
 * writeback-rest's settings: the shared writeback settings, plus the REST destinations (base URL, auth, pinned API
 * versions, timeouts, rate limits) as one JSON array, validated field by field when the service builds them (see
 * RestDestination's config). In a deployment the whole variable comes from a secret: it carries credentials.
 */
export const configSchema = baseEnvSchema.extend({
  ...writebackServiceEnv,
  WRITEBACK_REST_DESTINATIONS: jsonEnv('an array of REST destinations'),
  WRITEBACK_DB_SCHEMA: dbSchemaEnv.default('writeback_rest'),
});

export type Config = z.infer<typeof configSchema>;

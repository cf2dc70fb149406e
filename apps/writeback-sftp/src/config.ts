import { baseEnvSchema } from '@closeout/config';
import { dbSchemaEnv, jsonEnv, writebackServiceEnv } from '@closeout/writeback-core';
import { z } from 'zod';

/**
 * writeback-sftp's settings: the shared writeback settings, plus the SFTP batch destinations (host, key paths, the
 * pinned host key, folders, record layout, batch size and window, receipt window) as one JSON array, validated
 * field by field at boot (see SftpDestination's config).
 */
export const configSchema = baseEnvSchema.extend({
  ...writebackServiceEnv,
  WRITEBACK_SFTP_DESTINATIONS: jsonEnv('an array of SFTP destinations'),
  WRITEBACK_DB_SCHEMA: dbSchemaEnv.default('writeback_sftp'),
  // A record waits for its batch window, the upload and the receipt window while leased: lease accordingly.
  WRITEBACK_LEASE_MS: z.coerce.number().int().min(1).default(120_000),
  // Concurrency is how many records can share a batch.
  WRITEBACK_WORKER_CONCURRENCY: z.coerce.number().int().min(1).default(500),
  WRITEBACK_WORKER_BATCH_SIZE: z.coerce.number().int().min(1).default(500),
});

export type Config = z.infer<typeof configSchema>;

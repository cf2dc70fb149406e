import { baseEnvSchema, z } from '@closeout/config';

/** A JSON document in an environment variable, parsed; a parse error names the variable's rule. */
const json = (what: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `must be JSON (${what}): ${(error as Error).message}` });
      return z.NEVER;
    }
  });

const positiveInt = z.coerce.number().int().min(1);

/**
 * writeback-rest's settings. The destinations (base URL, auth, pinned API versions, timeouts, rate limits) are
 * one JSON array, validated field by field when the service builds them (see RestDestination's config); in a
 * deployment the whole variable comes from a secret, since it carries credentials.
 */
export const configSchema = baseEnvSchema.extend({
  WRITEBACK_REST_DESTINATIONS: json('an array of REST destinations'),
  /** Per-destination retry policy overrides: {"core-banking-rest": {"baseDelayMs": 500}}. */
  WRITEBACK_RETRY_POLICY: json('retry policy overrides keyed by destination')
    .pipe(
      z.record(z.string(), z.record(z.string(), z.unknown()), {
        message: 'must map destination names to objects',
      }),
    )
    .default({}),
  /** Per-destination circuit breaker settings: {"core-banking-rest": {"probeIntervalMs": 5000}}. */
  WRITEBACK_BREAKER: json('breaker settings keyed by destination')
    .pipe(
      z.record(
        z.string(),
        z.strictObject({
          errorThresholdPercentage: z.number().min(1).max(100).optional(),
          volumeThreshold: z.int().min(1).optional(),
          rollingWindowMs: z.int().min(100).optional(),
          probeIntervalMs: z.int().min(10).optional(),
        }),
      ),
    )
    .default({}),
  WRITEBACK_WORKER_CONCURRENCY: positiveInt.default(32),
  WRITEBACK_WORKER_BATCH_SIZE: positiveInt.default(64),
  /** Must exceed every destination's request timeout by a wide margin. */
  WRITEBACK_LEASE_MS: positiveInt.default(30_000),
  WRITEBACK_IDLE_POLL_MS: positiveInt.default(250),
  /** The ledger's PostgreSQL schema; separate schemas let several ledgers share one database (tests, harnesses). */
  WRITEBACK_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier')
    .default('writeback_rest'),
  /**
   * How long the broker waits for a silent intake consumer before handing its partitions to another member. Short
   * means a crashed replica's partitions move quickly; the broker bounds it (group.min.session.timeout.ms, 6 s).
   */
  WRITEBACK_INTAKE_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000),
});

export type Config = z.infer<typeof configSchema>;

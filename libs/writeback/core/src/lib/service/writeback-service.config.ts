import { z } from 'zod';
import type { Protocol } from '@closeout/contracts';
import { loadVerificationKeys, RecordVerifier } from '@closeout/kafka';
import { retryPolicyFor } from '@closeout/writeback-domain';
import type { WritebackDestination } from '../destination/writeback-destination';
import type { WritebackServiceOptions } from './writeback-service.module';

/** A JSON document in an environment variable, parsed; a parse error names the variable's rule. */
export const jsonEnv = (what: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `must be JSON (${what}): ${(error as Error).message}` });
      return z.NEVER;
    }
  });

const positiveInt = z.coerce.number().int().min(1);

/** The ledger's PostgreSQL schema; separate schemas let several ledgers share one database (tests, harnesses). */
export const dbSchemaEnv = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier');

/**
 * The settings every writeback service reads besides its destinations (whose shape is the protocol's own). Spread
 * into a service's config schema: `baseEnvSchema.extend({ ...writebackServiceEnv, WRITEBACK_DB_SCHEMA: … })`.
 */
export const writebackServiceEnv = {
  /** Per-destination retry policy overrides: {"core-banking-rest": {"baseDelayMs": 500}}. */
  WRITEBACK_RETRY_POLICY: jsonEnv('retry policy overrides keyed by destination')
    .pipe(
      z.record(z.string(), z.record(z.string(), z.unknown()), {
        message: 'must map destination names to objects',
      }),
    )
    .default({}),
  /** Per-destination circuit breaker settings: {"core-banking-rest": {"probeIntervalMs": 5000}}. */
  WRITEBACK_BREAKER: jsonEnv('breaker settings keyed by destination')
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
  /**
   * How long the broker waits for a silent intake consumer before handing its partitions to another member. 6 s, the
   * brokers' smallest (group.min.session.timeout.ms): after a crash the partitions wait for the dead process's session
   * to time out, its own replacement included (kafkajs has no static membership). Measured by
   * tools/harness/writeback/rejoin-after-kill.ts: a restarted writeback-rest consumed ~30 s after its start with 30 s,
   * ~6 s with 6 s. A slow handler does not evict a live member: the subscriber heartbeats while it runs.
   */
  WRITEBACK_INTAKE_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(6_000),
  /**
   * The orchestrator's Ed25519 public keys the service trusts writeback.requested from: `keyId=/path/key.pem,…` or a
   * directory of `<keyId>.pem` files (a mounted config map). Public keys only; several for a rotation. A request not
   * signed by one of them is dead-lettered (`unauthenticated`), audited and never admitted.
   */
  WRITEBACK_REQUEST_PUBLIC_KEYS: z
    .string()
    .min(1, 'must name the public keys of the writeback request signers (keyId=path,… or a directory)'),
  /**
   * `report` (default): a request of this protocol for a destination this deployment does not serve is answered
   * FAILED_PERMANENT, audited and dead-lettered (`unserved`). `skip`: for a second deployment of the protocol
   * trusting the same keys; exactly one deployment per protocol reports.
   */
  WRITEBACK_UNSERVED_REQUESTS: z.enum(['report', 'skip']).default('report'),
};

type Shape = typeof writebackServiceEnv;
export type WritebackServiceEnv = { [K in keyof Shape]: z.infer<Shape[K]> } & {
  SERVICE_NAME: string;
  /** From the base config: how long a published outbox message is kept. */
  OUTBOX_RETENTION_MS?: number;
};

/**
 * Turns validated settings and built destinations into the writeback service's options: one retry policy per
 * destination (a destination that ignores idempotency keys resolves a retried 5xx by lookup instead of re-sending),
 * breaker settings, worker tuning. Overrides naming no configured destination stop the service at boot.
 */
export function writebackServiceOptions(
  config: WritebackServiceEnv,
  protocol: Protocol,
  destinations: ReadonlyArray<{
    destination: WritebackDestination;
    honoursIdempotencyKey: boolean;
    /** The destination's read-visibility bound (see `destinationSemanticsShape`); the policy's default when absent. */
    lookupVisibilityMs?: number | undefined;
    /** Confirm success answers by lookup before believing them (see `destinationSemanticsShape`). */
    confirmAnswersByLookup?: boolean | undefined;
    mappingsOf?: string | undefined;
  }>,
): WritebackServiceOptions {
  const names = new Set(destinations.map((d) => d.destination.name));
  const unknown = [
    ...Object.keys(config.WRITEBACK_RETRY_POLICY),
    ...Object.keys(config.WRITEBACK_BREAKER),
  ].filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `WRITEBACK_RETRY_POLICY / WRITEBACK_BREAKER: no configured destination is named ${unknown.join(', ')} (configured: ${[...names].join(', ')})`,
    );
  }
  let requestVerifier: RecordVerifier;
  try {
    requestVerifier = new RecordVerifier(loadVerificationKeys(config.WRITEBACK_REQUEST_PUBLIC_KEYS));
  } catch (error) {
    throw new Error(`WRITEBACK_REQUEST_PUBLIC_KEYS: ${(error as Error).message}`);
  }
  return {
    service: config.SERVICE_NAME,
    protocol,
    requestVerifier,
    unservedRequests: config.WRITEBACK_UNSERVED_REQUESTS,
    destinations: destinations.map(
      ({ destination, honoursIdempotencyKey, lookupVisibilityMs, confirmAnswersByLookup, mappingsOf }) => ({
        destination,
        ...(mappingsOf === undefined ? {} : { mappingsOf }),
        policy: retryPolicyFor(destination.name, {
          [destination.name]: {
            destinationHonoursIdempotencyKey: honoursIdempotencyKey,
            ...(lookupVisibilityMs === undefined ? {} : { lookupVisibilityMs }),
            ...(confirmAnswersByLookup === undefined ? {} : { confirmAnswersByLookup }),
            ...config.WRITEBACK_RETRY_POLICY[destination.name],
          },
        }),
        breaker: config.WRITEBACK_BREAKER[destination.name] ?? {},
      }),
    ),
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
    ...(config.OUTBOX_RETENTION_MS === undefined ? {} : { outboxRetentionMs: config.OUTBOX_RETENTION_MS }),
  };
}

import { apiTokensSchema, baseEnvSchema } from '@closeout/config';
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "1h", "24h" or plain milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 15m, 1h, 24h, or milliseconds' });
    return z.NEVER;
  }
  return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
});

const json = (what: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `must be JSON (${what}): ${(error as Error).message}` });
      return z.NEVER;
    }
  });

/** The reconciler's settings; every one has a default so the service boots on the base variables alone. */
export const configSchema = baseEnvSchema.extend({
  RECONCILER_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier')
    .default('reconciler'),
  /** Consumer group prefix; defaults to SERVICE_NAME. */
  RECONCILER_CONSUMER_GROUP: z.string().min(1).optional(),
  /**
   * The destinations this reconciler judges, comma-separated; empty = every destination on the topics. Lets one
   * reconciler run per business line or set of cores; writebacks for other destinations are not recorded at all.
   */
  RECONCILER_DESTINATIONS: z
    .string()
    .default('')
    .transform((text) => text.split(',').map((d) => d.trim()).filter((d) => d !== ''))
    .transform((list) => (list.length === 0 ? null : new Set(list))),
  /** Bearer tokens of the operators and tools that call /v1 (breaks, alerts, SLOs, a pass on demand): `principal=token`, comma-separated. */
  RECONCILER_API_TOKENS: apiTokensSchema,
  /** How often the pass runs; 0 = on demand only (POST /v1/reconcile). */
  RECONCILER_INTERVAL: duration.default(60_000),
  /** The reconciliation window: a request with no result after this is REQUESTED_NO_RESULT. */
  RECONCILER_RESULT_WINDOW: duration.default(86_400_000),
  /** A result UNKNOWN for longer than this is UNKNOWN_PAST_TTL. */
  RECONCILER_UNKNOWN_TTL: duration.default(900_000),
  /** Postings, results and completions younger than this are not judged yet (still in flight on the topics). */
  RECONCILER_GRACE: duration.default(300_000),
  /** How far back each pass extracts from the cores. */
  RECONCILER_EXTRACT_LOOKBACK: duration.default(86_400_000),
  /** Timeout of every extract adapter call. */
  RECONCILER_EXTRACT_TIMEOUT: duration.default(10_000),
  /** A RESOLVE break still open this long after it opened gets one REPLAY. */
  RECONCILER_REPLAY_AFTER: duration.default(3_600_000),
  /** Rolling SLO windows, comma-separated. */
  RECONCILER_SLO_WINDOWS: z
    .string()
    .default('1h,24h')
    .transform((text) => text.split(',').map((w) => w.trim()))
    .pipe(z.array(z.string().regex(/^\d+(ms|s|m|h|d)?$/, 'each window must be a duration such as 1h'))),
  // SLO and unknown-age alerts are Prometheus's (deploy/prometheus/rules, docs/operations/slo.md): the reconciler
  // exposes the figures and raises no alert on them, so it has no targets or alert thresholds to configure.
  /** The cores' extracts: a JSON array, one entry per destination (see extracts/extract-config.ts). */
  RECONCILER_EXTRACTS: json('an array of core extract adapters').default([]),
});

export type Config = z.infer<typeof configSchema>;

export const durationMs = (text: string): number => {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  return Number(match?.[1] ?? 0) * UNITS[match?.[2] ?? 'ms']!;
};

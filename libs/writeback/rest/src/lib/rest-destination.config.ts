import { z } from 'zod';
import {
  destinationSemanticsShape,
  parseDestinationList,
  parseOneDestination,
} from '@closeout/writeback-core';

/**
 * One REST system of record, as the writeback-rest service is configured with it. Validated once at boot; every
 * problem is reported with its field path and rule (never its value: the auth fields are secrets).
 */

const nonEmpty = (rule = 'must be a non-empty string') => z.string({ error: rule }).min(1, rule);

/** Sent as a header value: a control character would make every request fail in Node, not at boot. */
const headerValue = () =>
  nonEmpty().regex(/^[\t\x20-\x7e\x80-\xff]+$/, 'must be a non-empty string without control characters');

const positiveInt = (fallback: number) =>
  z.int({ error: 'must be an integer > 0' }).min(1, 'must be an integer > 0').default(fallback);

const absolutePath = (fallback: string) =>
  z
    .string({ error: 'must be a path starting with /' })
    .startsWith('/', 'must be a path starting with /')
    .default(fallback);

/**
 * Objects reject unknown fields: a misspelt optional field (`rateLimits`, `timeout`) would otherwise be dropped
 * silently and the destination would run with defaults nobody chose.
 */
const strict = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : 'must be an object',
  });

/** RFC 9110 token characters: anything else is not a header name Node will send. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const authSchema = z.discriminatedUnion(
  'type',
  [
    strict({ type: z.literal('none') }),
    strict({ type: z.literal('bearer'), token: headerValue() }),
    strict({
      type: z.literal('basic'),
      // RFC 7617: the first colon separates user from password.
      username: nonEmpty().regex(/^[^:]*$/, 'must not contain ":"'),
      password: nonEmpty(),
    }),
    strict({
      type: z.literal('header'),
      name: z
        .string({ error: 'must be an HTTP header name' })
        .regex(HEADER_NAME, 'must be an HTTP header name'),
      value: headerValue(),
    }),
  ],
  { error: 'must be one of none, bearer, basic, header' },
);

/** An answer status, optionally narrowed by the body's `error` code. */
const answerMatch = strict({
  status: z
    .int({ error: 'must be an HTTP status from 400 to 599' })
    .min(400, 'must be an HTTP status from 400 to 599')
    .max(599, 'must be an HTTP status from 400 to 599'),
  error: nonEmpty().optional(),
});

/**
 * How this destination's answers read, from its API documentation. The defaults follow the IETF Idempotency-Key
 * draft and Stripe: 409 means the first request under the key is still being processed (ask again later), 422 with
 * `idempotency_key_reused` that the key was used with another payload; a 2xx whose `status` says rejected is a refusal.
 */
const answersSchema = strict({
  /** Answers meaning "a request under this key is still being processed": its outcome is unknown, resolved by lookup. */
  inProgress: z
    .array(answerMatch, { error: 'must be an array of {status, error?}' })
    .default([{ status: 409 }]),
  /** Answers meaning "this key was used with another payload": a conflict, routed to correction. Tried first. */
  keyReused: z.array(answerMatch, { error: 'must be an array of {status, error?}' }).default([
    { status: 422, error: 'idempotency_key_reused' },
    { status: 409, error: 'idempotency_key_reused' },
  ]),
  /** The success body's field naming the posting's own outcome, and the values that mean it was refused. */
  outcomeField: nonEmpty().default('status'),
  rejectedOutcomes: z
    .array(nonEmpty(), { error: 'must be an array of outcome values' })
    .default(['rejected', 'declined', 'failed', 'refused']),
  /** Where a refusal states its code and reason. */
  rejectionCodeField: nonEmpty().default('error'),
  rejectionReasonField: nonEmpty().default('message'),
  /** The body's transaction id, and the idempotency key it echoes (when it echoes one, it must be ours). */
  referenceField: nonEmpty().default('transaction_id'),
  keyField: nonEmpty().default('idempotency_key'),
  /**
   * Dotted paths of request fields an answer may echo (e.g. `amount.value_minor`): when the answer carries one, it must
   * equal what was sent, or the answer is taken to be someone else's.
   */
  echoedFields: z
    .array(nonEmpty(), { error: 'must be an array of dotted field paths' })
    .default(['amount.value_minor', 'amount.currency']),
}).prefault({});

export const restDestinationConfigSchema = strict({
  /** The destination's name in `WritebackRequested.destination`, the ledger and the metrics. */
  name: nonEmpty(),
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    // Credentials in a URL end up in logs and error messages; they belong in `auth`.
    .refine(
      (url) => {
        const parsed = URL.parse(url);
        return parsed === null || (parsed.username === '' && parsed.password === '');
      },
      { message: 'must not embed credentials (use auth)' },
    ),
  auth: authSchema,
  /** The `Api-Version` values this destination is pinned to; a mapping targeting any other is refused. */
  apiVersions: z
    .array(nonEmpty(), { error: 'must be an array of API versions' })
    .min(1, 'must pin at least one API version'),
  timeouts: strict({
    /** Establishing a new connection (TCP, and TLS for https); nothing can have been sent until it succeeds. */
    connectMs: positiveInt(2_000),
    /** The whole exchange, from dispatch (after the rate limiter) to the last byte of the answer. */
    requestMs: positiveInt(5_000),
  }).prefault({}),
  rateLimit: strict({
    // Bottleneck refills its token bucket on a timer with 1 ms resolution: 1000 per second is the finest it can pace.
    requestsPerSecond: z
      .number({ error: 'must be a number > 0 and ≤ 1000' })
      .positive('must be a number > 0 and ≤ 1000')
      .max(1_000, 'must be a number > 0 and ≤ 1000'),
    /** Requests that may start at once after a quiet spell; 1 (the default) spaces every request evenly. */
    burst: z.int({ error: 'must be an integer > 0' }).min(1, 'must be an integer > 0').default(1),
  }).optional(),
  /** Sockets kept open to the destination (keep-alive); requests beyond it queue for a free one. */
  maxConnections: positiveInt(32),
  /**
   * Use another destination's mappings (same system, another environment or endpoint: UAT next to production,
   * a harness instance next to the main one). Defaults to this destination's own name.
   */
  mappingsOf: z
    .string({ error: 'must be a destination name' })
    .min(1, 'must be a destination name')
    .optional(),
  ...destinationSemanticsShape,
  answers: answersSchema,
  lookup: strict({
    /** Postings by key at `${path}?idempotency_key=K`, one posting at `${path}/{providerRef}`. */
    path: absolutePath('/api/postings'),
  }).prefault({}),
  healthPath: absolutePath('/health'),
});

/** A destination's settings as written in configuration (defaults still to apply). */
export type RestDestinationConfigInput = z.input<typeof restDestinationConfigSchema>;
/** A validated destination, defaults applied. */
export type RestDestinationConfig = z.output<typeof restDestinationConfigSchema>;
export type RestDestinationAuth = RestDestinationConfig['auth'];

/**
 * Validates the REST destinations of a service (e.g. the parsed `WRITEBACK_REST_DESTINATIONS`). Throws a
 * `ConfigError` listing every failing field, e.g. `destinations[0].baseUrl: must be an http(s) URL`.
 */
export function parseRestDestinations(input: unknown): RestDestinationConfig[] {
  return parseDestinationList(restDestinationConfigSchema, input, 'REST destinations');
}

/** Validates one destination; problems are named from `destination` (e.g. `destination.auth.token`). */
export function parseRestDestination(input: unknown): RestDestinationConfig {
  return parseOneDestination(restDestinationConfigSchema, input);
}

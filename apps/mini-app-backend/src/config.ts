import { baseEnvSchema, z } from '@closeout/config';
import { CLAMD_DEFAULT_STREAM_MAX_BYTES } from './documents/clamd-scanner';

/** An http(s) base URL without a trailing slash; http only to loopback (local runs and tests). */
const baseUrl = (example: string) =>
  z
    .url(`must be a URL such as ${example}`)
    .refine(
      (u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/.test(u),
      'must be https (http only to localhost or 127.0.0.1)',
    )
    .transform((u) => u.replace(/\/+$/, ''));

/**
 * A base URL of another Closeout service: https, or plain http inside the deployment's own network — loopback, a
 * single-label host (`orchestrator`, a compose service) or a Kubernetes service name (`….svc`, `….svc.cluster.local`),
 * where a service mesh or network policy carries the transport protection. Never http over a public name.
 */
const internalUrl = (example: string) =>
  z
    .url(`must be a URL such as ${example}`)
    .refine(
      (u) =>
        u.startsWith('https://') ||
        /^http:\/\/(localhost|127\.0\.0\.1|[a-z0-9][a-z0-9-]{0,62}|[a-z0-9.-]+\.svc(\.cluster\.local)?)(:\d+)?(\/|$)/.test(
          u,
        ),
      'must be https (http only to localhost, 127.0.0.1, a single-label service name or a Kubernetes .svc name)',
    )
    .transform((u) => u.replace(/\/+$/, ''));

const secret = (min: number) =>
  z.string().min(min, `must be at least ${min} characters`).max(512, 'must be at most 512 characters');

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The largest upload accepted (25 MiB): what the devstack's clamd takes in one INSTREAM. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

const PROCESSOR_VARIABLES = [
  'CARD_PROCESSOR_URL',
  'CARD_PROCESSOR_API_KEY',
  'MINIAPP_PROCESSOR_STATE_KEY',
] as const;

export const configSchema = baseEnvSchema
  .extend({
    /** The service's PostgreSQL schema (tests run one per suite). */
    MINIAPP_DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier')
      .default('miniapp'),
    MINIAPP_DB_POOL: int(2, 200, 20),
    /** Where customers reach the mini-app (the links in messages start with it); the origin POSTs must come from. */
    MINIAPP_PUBLIC_BASE_URL: baseUrl('https://app.closeout.example'),
    /** The orchestrator's API (eligible actions): `GET /v1/cases/{caseId}/eligible-actions`. */
    ORCHESTRATOR_URL: internalUrl('http://orchestrator:3000'),
    /** A bearer token in the orchestrator's ORCHESTRATOR_API_TOKENS. Secret. */
    MINIAPP_ORCHESTRATOR_TOKEN: secret(16),
    /** Messaging's internal API (one-time codes, opt-outs). */
    MESSAGING_INTERNAL_URL: internalUrl('http://messaging:3000'),
    /** A bearer token in messaging's MESSAGING_INTERNAL_API_TOKENS. Secret. */
    MINIAPP_MESSAGING_TOKEN: secret(16),
    /** HMAC-SHA256 key of the stored one-time codes. Secret. */
    MINIAPP_OTP_KEY: secret(32),
    /** A session unused this long ends (at most 15 minutes). */
    MINIAPP_SESSION_IDLE_SECONDS: int(60, 900, 900),
    /** A session ends this long after the link was opened, however active (at most an hour). */
    MINIAPP_SESSION_MAX_SECONDS: int(300, 3_600, 1_800),
    /** How long the orchestrator and messaging have to answer before the page says to try again. */
    MINIAPP_UPSTREAM_TIMEOUT_MS: int(100, 30_000, 5_000),
    /** Requests per minute: from one IP address, on one link (opening it), for one customer (their session). */
    MINIAPP_RATE_LIMIT_PER_IP: int(1, 100_000, 300),
    MINIAPP_RATE_LIMIT_PER_LINK: int(1, 10_000, 20),
    MINIAPP_RATE_LIMIT_PER_CUSTOMER: int(1, 10_000, 60),
    /** Uploads of a multipart form: files per request and bytes per file. */
    MINIAPP_UPLOAD_MAX_FILES: int(1, 10, 3),
    /**
     * Bytes per uploaded file, both the multipart limit and the document form's own (so an oversized file is a 413
     * naming the field). At most 25 MiB: the devstack's clamd (StreamMaxLength) refuses more.
     */
    MINIAPP_UPLOAD_MAX_BYTES: int(1_024, MAX_UPLOAD_BYTES, 10 * 1024 * 1024),
    /** The card processor's origin (its hosted card page is the one other origin forms may post to). */
    CARD_PROCESSOR_URL: baseUrl('https://pay.processor.example').optional(),
    /** Server-to-server token lookups at the processor. Secret. */
    CARD_PROCESSOR_API_KEY: secret(16).optional(),
    /** HMAC key binding the processor round trip's `state` to the session and the action. Secret. */
    MINIAPP_PROCESSOR_STATE_KEY: secret(32).optional(),
    /** clamd (INSTREAM); unset: documents are stored NOT_SCANNED. */
    CLAMAV_HOST: z.string().min(1).max(255).optional(),
    CLAMAV_PORT: z.coerce.number().int().min(1).max(65535).default(3310),
    /** clamd's StreamMaxLength: larger documents are refused before they are sent (default clamd's own, 25 MiB). */
    CLAMAV_STREAM_MAX_BYTES: int(1_024, 4 * 1024 * 1024 * 1024 - 1, CLAMD_DEFAULT_STREAM_MAX_BYTES),
  })
  // The card processor's three variables go together: all set (the processor forms are offered) or none.
  .superRefine((c, ctx) => {
    // An upload the form accepts but clamd would refuse is a refusal the customer cannot avoid.
    if (c.CLAMAV_HOST !== undefined && c.MINIAPP_UPLOAD_MAX_BYTES > c.CLAMAV_STREAM_MAX_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: ['MINIAPP_UPLOAD_MAX_BYTES'],
        message: `must not exceed CLAMAV_STREAM_MAX_BYTES (${c.CLAMAV_STREAM_MAX_BYTES}) when CLAMAV_HOST is set`,
      });
    const set = PROCESSOR_VARIABLES.filter((name) => c[name] !== undefined);
    if (set.length === 0 || set.length === PROCESSOR_VARIABLES.length) return;
    for (const name of PROCESSOR_VARIABLES)
      if (c[name] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `must be set when ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} (the card processor's variables go together)`,
        });
  });

export type Config = z.infer<typeof configSchema>;

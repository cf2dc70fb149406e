import { baseEnvSchema, z } from '@closeout/config';
import { parseOperators, type Operator } from './auth/operators';

const url = (example: string) => z.url({ message: `must be a URL such as ${example}` });
const token = z.string().regex(/^[\x21-\x7e]{16,512}$/, 'must be 16–512 printable ASCII characters');
const SERVICE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The console reads no Kafka and keeps no database: it calls the other services' APIs with its own tokens. The
 * reconciler, the audit store, Prometheus, Alertmanager and Zipkin are each optional; a page says when one is not
 * configured or does not answer.
 */
export const configSchema = z
  .object({
    SERVICE_NAME: z.string().regex(SERVICE, 'must be 1–64 characters of letters, digits and . _ -'),
    HTTP_PORT: z.coerce.number().int().min(1).max(65535),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    /** Tracing as every service (libs/config baseEnvSchema; docs/operations/tracing.md). */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: baseEnvSchema.shape.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_SDK_DISABLED: baseEnvSchema.shape.OTEL_SDK_DISABLED,
    OTEL_TRACES_EXPORTER: baseEnvSchema.shape.OTEL_TRACES_EXPORTER,
    ZIPKIN_ENDPOINT: baseEnvSchema.shape.ZIPKIN_ENDPOINT,
    /** `operator-id:role:scrypt-hash` entries (auth/operators.ts); role viewer or agent. */
    CONSOLE_OPERATORS: z.string().transform((raw, ctx): Operator[] => {
      const { operators, problem } = parseOperators(raw);
      if (!operators) {
        ctx.addIssue({ code: 'custom', message: problem ?? 'is not a valid operator list' });
        return z.NEVER;
      }
      return operators;
    }),
    /** A session ends after this long without a request… */
    CONSOLE_SESSION_IDLE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(1_800),
    /** …and this long after sign-in whatever happens. */
    CONSOLE_SESSION_MAX_SECONDS: z.coerce.number().int().min(300).max(86_400).default(28_800),
    /** Sign-in attempts per client IP per minute, and failed attempts per operator id per 15 minutes. */
    CONSOLE_LOGIN_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).max(1_000).default(10),
    CONSOLE_LOGIN_FAILURES_PER_OPERATOR: z.coerce.number().int().min(1).max(100).default(5),
    /** The orchestrator's case and exception API, and the console's token there (a principal of ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS). */
    ORCHESTRATOR_URL: url('http://127.0.0.1:3002'),
    CONSOLE_ORCHESTRATOR_TOKEN: token,
    RECONCILER_URL: url('http://127.0.0.1:3008').optional(),
    CONSOLE_RECONCILER_TOKEN: token.optional(),
    AUDIT_URL: url('http://127.0.0.1:3009').optional(),
    CONSOLE_AUDIT_TOKEN: token.optional(),
    /** Prometheus's HTTP API: SLO charts, error budget, breaker states, backlog (else the reconciler's /v1/slo table). */
    PROMETHEUS_URL: url('http://127.0.0.1:9090').optional(),
    /** Alertmanager's API v2: the open alerts. */
    ALERTMANAGER_URL: url('http://127.0.0.1:9093').optional(),
    /** Zipkin's UI: each case page links to its trace (`closeout.case_id` tag). */
    ZIPKIN_UI_URL: url('http://127.0.0.1:9411').optional(),
    /** How long a call to another service may take before its part of the page says it did not answer. */
    CONSOLE_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3_000),
  })
  .superRefine((c, ctx) => {
    for (const [u, t] of [
      ['RECONCILER_URL', 'CONSOLE_RECONCILER_TOKEN'],
      ['AUDIT_URL', 'CONSOLE_AUDIT_TOKEN'],
    ] as const)
      if (c[u] !== undefined && c[t] === undefined)
        ctx.addIssue({ code: 'custom', path: [t], message: `is required when ${u} is set` });
  });

export type Config = z.infer<typeof configSchema>;

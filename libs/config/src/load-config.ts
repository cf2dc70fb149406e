import { DomainError } from '@closeout/errors';

import { z } from 'zod';
import {
  hasKafkaSecurityVars,
  kafkaSecurityEnv,
  resolveKafkaSecurity,
  type KafkaSecurity,
} from './kafka-security';

export class ConfigError extends DomainError<'CONFIG_INVALID'> {
  constructor(readonly issues: { variable: string; rule: string }[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.rule}`).join('\n')}`,
    );
  }
}

/**
 * Validates the environment against a zod schema once, at boot. Each problem names the variable and the
 * rule it broke; nothing else in a service reads process.env.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: issue.path.join('.') || '(root)',
        rule: issue.message,
      })),
    );
  }
  // The rules between the Kafka security variables, and their files, checked at boot like the rest.
  if (hasKafkaSecurityVars(parsed.data)) {
    const { issues } = resolveKafkaSecurity(parsed.data);
    if (issues.length > 0) throw new ConfigError(issues);
  }
  const tracing = tracingIssues(parsed.data);
  if (tracing.length > 0) throw new ConfigError(tracing);
  return parsed.data;
}

/** The trace exporter chosen must have its endpoint. */
function tracingIssues(data: unknown): { variable: string; rule: string }[] {
  const env = (data ?? {}) as Record<string, unknown>;
  if (env['OTEL_SDK_DISABLED'] === true) return [];
  if (env['OTEL_TRACES_EXPORTER'] === 'zipkin' && !env['ZIPKIN_ENDPOINT'])
    return [{ variable: 'ZIPKIN_ENDPOINT', rule: 'is required when OTEL_TRACES_EXPORTER=zipkin' }];
  if (env['OTEL_TRACES_EXPORTER'] === 'otlp' && !env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])
    return [{ variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', rule: 'is required when OTEL_TRACES_EXPORTER=otlp' }];
  return [];
}

/**
 * The Kafka connection security of a loaded config or of a raw environment (scripts and tests, which have no config
 * schema of their own): KAFKA_SECURITY_PROTOCOL and the KAFKA_SASL_* / KAFKA_SSL_* variables, validated with the same
 * rules, files read. Throws ConfigError naming each variable and rule; a password is never part of a message.
 */
export function kafkaSecurityFromEnv(env: Record<string, unknown> = process.env): KafkaSecurity {
  const parsed = z.object(kafkaSecurityEnv).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: issue.path.join('.') || '(root)',
        rule: issue.message,
      })),
    );
  }
  const { security, issues } = resolveKafkaSecurity(parsed.data);
  if (!security) throw new ConfigError(issues);
  return security;
}

const port = z.coerce.number().int().min(1).max(65535);

/** Variables every Closeout service reads; a service extends this with its own. */
export const baseEnvSchema = z.object({
  SERVICE_NAME: z.string().min(1),
  HTTP_PORT: port,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  KAFKA_BROKERS: z
    .string()
    .min(1, 'must list at least one host:port')
    .transform((s) => s.split(',').map((b) => b.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port'))),
  SCHEMA_REGISTRY_URL: z.url({ message: 'must be a URL such as http://127.0.0.1:8081/apis/ccompat/v7' }),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** TLS and SASL towards the brokers (kafka-security.ts; docs/security/kafka.md). PLAINTEXT by default. */
  ...kafkaSecurityEnv,
  KAFKA_DEFAULT_PARTITIONS: z.coerce.number().int().min(1).default(6),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  /**
   * Tracing (docs/operations/tracing.md). `OTEL_SDK_DISABLED=true` switches it off entirely (no spans, no trace
   * headers). `OTEL_TRACES_EXPORTER`: `otlp` (production; needs OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), `zipkin` (the
   * devstack's Zipkin; needs ZIPKIN_ENDPOINT, its /api/v2/spans) or `none`; unset = `otlp` when the OTLP endpoint is
   * set, else `none` (spans are created and propagated, not exported).
   */
  OTEL_SDK_DISABLED: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'zipkin', 'none']).optional(),
  ZIPKIN_ENDPOINT: z.url({ message: 'must be a URL such as http://127.0.0.1:9411/api/v2/spans' }).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * Consumer group membership (every subscription of the service; unset means the Kafka lib's default, in
   * parentheses). After a crash a member's partitions wait for its session to time out before anyone, its own
   * replacement included, consumes them: short sessions bring a restarted service back in seconds. The broker refuses
   * sessions under its group.min.session.timeout.ms (6 s by default). Session (10 s), heartbeat (1 s, at most a third
   * of the session), rebalance timeout (30 s: how long a rebalance waits for live members, and how long a running
   * handler is kept alive), fetch wait (1 s, at most half the session: kafkajs heartbeats between fetches).
   */
  KAFKA_CONSUMER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).optional(),
  KAFKA_CONSUMER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).optional(),
  KAFKA_CONSUMER_REBALANCE_TIMEOUT_MS: z.coerce.number().int().min(6_000).optional(),
  KAFKA_CONSUMER_MAX_WAIT_MS: z.coerce.number().int().min(10).optional(),
  /**
   * The largest encoded message the service publishes (the Kafka lib's default: 1 000 000 bytes, under the brokers'
   * message.max.bytes); larger ones are refused before sending. Keep it under every topic's max.message.bytes.
   */
  KAFKA_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1_024).optional(),
  /**
   * Send parameterised statements as named prepared statements, parsed and planned once per connection (default
   * true). Set false behind a connection pooler in transaction mode that cannot carry them (PgBouncer before 1.21).
   */
  DB_PREPARED_STATEMENTS: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  /**
   * How long a service keeps an outbox message after publishing it (services with an outbox): at least a minute, or 0
   * to delete it in the transaction that publishes it.
   */
  OUTBOX_RETENTION_MS: z.coerce
    .number()
    .int()
    .refine((ms) => ms === 0 || ms >= 60_000, 'must be 0 (delete once published) or at least 60000')
    .default(86_400_000),
});

export type BaseConfig = z.infer<typeof baseEnvSchema>;

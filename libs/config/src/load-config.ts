import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; rule: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.rule}`).join('\n')}`);
    this.name = 'ConfigError';
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
  return parsed.data;
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
  KAFKA_DEFAULT_PARTITIONS: z.coerce.number().int().min(1).default(6),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** How long a service keeps an outbox message after publishing it (services with an outbox); at least a minute. */
  OUTBOX_RETENTION_MS: z.coerce.number().int().min(60_000).default(86_400_000),
});

export type BaseConfig = z.infer<typeof baseEnvSchema>;

import { apiTokensSchema, baseEnvSchema, z } from '@closeout/config';

export const configSchema = baseEnvSchema.extend({
  /** The service's PostgreSQL schema; a separate one lets a test or harness instance run beside the main one. */
  ORCHESTRATOR_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier')
    .default('orchestrator'),
  /** Folder of workflow definitions (YAML/JSON); every file must pass the readiness gate or the service refuses to start. */
  WORKFLOW_DEFINITIONS_DIR: z.string().min(1).default('apps/orchestrator/workflows'),
  /** The writeback domain's golden payload pairs the readiness gate checks each mapping against (default: the source tree's). */
  WORKFLOW_GOLDEN_PAYLOADS_DIR: z.string().min(1).optional(),
  /**
   * Bearer tokens of the agents and operations tools that call the case and exception API, as `agent-id=token`
   * entries: the principal a token names is the agent recorded as resolving an exception.
   */
  ORCHESTRATOR_API_TOKENS: apiTokensSchema,
  /**
   * Principals of ORCHESTRATOR_API_TOKENS that act for a human agent named in the `X-On-Behalf-Of` header (e.g. the
   * ops console, which signs its operators in itself): comma-separated principal ids. The agent named is recorded as
   * the resolver and audit actor, with the principal as `via`. Empty (the default): no principal may.
   */
  ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS: z
    .string()
    .default('')
    .transform((raw) =>
      raw
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    )
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/, 'each entry must be a principal id'))),
  /** How often the timer scheduler looks for due timers when none woke it earlier. */
  ORCHESTRATOR_TIMER_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Timers fired per scheduler pass (each in its own transaction). */
  ORCHESTRATOR_TIMER_BATCH: z.coerce.number().int().min(1).max(1_000).default(100),
  /** Database connections: consumers, timers, the relay and the API share them. */
  ORCHESTRATOR_DB_POOL: z.coerce.number().int().min(2).max(200).default(20),
  /**
   * The Ed25519 private key (PKCS#8 PEM file, from a secret) the orchestrator signs every writeback.requested with:
   * the writeback services act only on requests signed by a key they trust (docs/security/signed-messages.md).
   */
  WRITEBACK_REQUEST_SIGNING_KEY_FILE: z.string().min(1, 'must name the PEM file of the writeback request signing key'),
  /** The id the writeback services know the signing key's public half by (WRITEBACK_REQUEST_PUBLIC_KEYS). */
  WRITEBACK_REQUEST_SIGNING_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 characters of A–Z a–z 0–9 . _ -'),
});

export type Config = z.infer<typeof configSchema>;

import { readFileSync } from 'node:fs';
import { apiTokensSchema, baseEnvSchema, z } from '@closeout/config';
import {
  ExportConfigError,
  exportConfigFrom,
  exportEnvShape,
  type ExportConfig,
} from './export/export.config';
import { checkpointSigner, SigningKeyError, type CheckpointSigner } from './store/checkpoint-signing';

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export const configSchema = baseEnvSchema
  .extend({
    /** The store's PostgreSQL schema (tests run one per suite). */
    AUDIT_DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier')
      .default('audit'),
    AUDIT_DB_POOL: z.coerce.number().int().min(2).max(100).default(10),
    /**
     * Who may read the store over HTTP (`/v1/audit`, `/v1/audit/verify`): comma-separated `principal=token` entries.
     * Unset: those routes answer 401 to everyone.
     */
    AUDIT_API_TOKENS: apiTokensSchema.optional(),
    /** Ed25519 private key (PKCS#8 PEM) that signs checkpoints. Unset: records are chained, no checkpoint is signed. */
    AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
    /** Names the key in each checkpoint, so an auditor knows which public key verifies it. */
    AUDIT_SIGNING_KEY_ID: z
      .string()
      .regex(KEY_ID, 'must be 1–64 characters of letters, digits and . _ : -')
      .optional(),
    AUDIT_CHECKPOINT_EVERY_RECORDS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    AUDIT_CHECKPOINT_EVERY_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
    // The SIEM export's variables (export/export.config.ts).
    ...exportEnvShape,
  })
  .transform((env, ctx) => {
    let signer: CheckpointSigner | undefined;
    if (env.AUDIT_SIGNING_KEY_FILE !== undefined) {
      if (env.AUDIT_SIGNING_KEY_ID === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['AUDIT_SIGNING_KEY_ID'],
          message: 'is required with AUDIT_SIGNING_KEY_FILE',
        });
      let pem: string | undefined;
      try {
        pem = readFileSync(env.AUDIT_SIGNING_KEY_FILE, 'utf8');
      } catch {
        ctx.addIssue({ code: 'custom', path: ['AUDIT_SIGNING_KEY_FILE'], message: 'cannot be read' });
      }
      if (pem !== undefined && env.AUDIT_SIGNING_KEY_ID !== undefined) {
        try {
          signer = checkpointSigner(pem, env.AUDIT_SIGNING_KEY_ID);
        } catch (error) {
          if (!(error instanceof SigningKeyError)) throw error;
          ctx.addIssue({ code: 'custom', path: ['AUDIT_SIGNING_KEY_FILE'], message: error.message });
        }
      }
    } else if (env.AUDIT_SIGNING_KEY_ID !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['AUDIT_SIGNING_KEY_FILE'],
        message: 'is required with AUDIT_SIGNING_KEY_ID',
      });
    let siemExport: ExportConfig | undefined;
    try {
      siemExport = exportConfigFrom(env);
    } catch (error) {
      if (!(error instanceof ExportConfigError)) throw error;
      for (const issue of error.issues)
        ctx.addIssue({ code: 'custom', path: [issue.variable], message: issue.rule });
    }
    if (!siemExport) return z.NEVER;
    return { ...env, signer, siemExport };
  });

export type Config = z.infer<typeof configSchema>;

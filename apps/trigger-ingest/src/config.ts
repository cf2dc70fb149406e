import { baseEnvSchema, z } from '@closeout/config';

export const configSchema = baseEnvSchema.extend({
  INGEST_API_TOKENS: z
    .string()
    .min(1, 'must list at least one bearer token for upstream systems')
    .transform((s) => s.split(',').map((t) => t.trim()))
    .pipe(z.array(z.string().min(16, 'each token must be at least 16 characters'))),
});

export type Config = z.infer<typeof configSchema>;

import { baseEnvSchema, z } from '@closeout/config';
import { upstreamTopicSchema } from './upstream/upstream-topics';

/** A JSON-valued variable: parse errors are reported against the variable like any other rule. */
const jsonText = z.string().transform((text, ctx): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `must be JSON: ${(error as Error).message}` });
    return z.NEVER;
  }
});

export const configSchema = baseEnvSchema.extend({
  INGEST_API_TOKENS: z
    .string()
    .min(1, 'must list at least one bearer token for upstream systems')
    .transform((s) => s.split(',').map((t) => t.trim()))
    .pipe(z.array(z.string().min(16, 'each token must be at least 16 characters'))),
  /** Upstream topics to consume, e.g. `[{"topic":"billing.events.v1","format":"avro","sourceSystem":"billing-core"}]`. */
  INGEST_UPSTREAM_TOPICS: jsonText
    .default([])
    .pipe(
      z
        .array(upstreamTopicSchema, 'must be a JSON array of {topic, format, sourceSystem?, schema?}')
        .refine(
          (topics) => new Set(topics.map((t) => t.topic)).size === topics.length,
          'lists a topic twice',
        ),
    ),
});

export type Config = z.infer<typeof configSchema>;

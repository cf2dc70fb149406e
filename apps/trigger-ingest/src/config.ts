import { apiTokensSchema, baseEnvSchema, z } from '@closeout/config';
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
  /** `principal=token` or `principal[source-a|source-b]=token`, comma-separated: whom each token names and which sources it may publish for. */
  INGEST_API_TOKENS: apiTokensSchema,
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

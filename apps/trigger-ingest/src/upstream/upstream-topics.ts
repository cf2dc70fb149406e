import { z } from 'zod';
import { SchemaCatalog } from '@closeout/kafka';
import {
  upstreamBillingEventSchema,
  upstreamBillingEventToJson,
  type UpstreamBillingEvent,
} from './upstream-billing-event';

/** Avro records upstream feeds publish, by the name a topic's config gives. */
export const upstreamAvroSchemas = {
  'upstream-billing-event': {
    schema: upstreamBillingEventSchema,
    // The serde decodes into exactly this reader schema, so the record has its shape.
    toJson: (value: unknown) => upstreamBillingEventToJson(value as UpstreamBillingEvent),
  },
} as const;

export type UpstreamAvroSchemaName = keyof typeof upstreamAvroSchemas;

const schemaNames = Object.keys(upstreamAvroSchemas) as [UpstreamAvroSchemaName, ...UpstreamAvroSchemaName[]];

/** One configured upstream topic: its name, how its values are written, and the system that publishes on it. */
export const upstreamTopicSchema = z
  .object({
    topic: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be a Kafka topic name (letters, digits, . _ -)'),
    format: z.enum(['avro', 'json'], 'must be "avro" (Confluent wire format through the registry) or "json"'),
    sourceSystem: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 characters of letters, digits and . _ : -')
      .optional(),
    schema: z.enum(schemaNames, `must be one of ${schemaNames.join(', ')}`).optional(),
  })
  .strict()
  .refine((t) => t.format === 'avro' || t.schema === undefined, {
    message: 'applies to avro topics only',
    path: ['schema'],
  });

export type UpstreamTopic = z.infer<typeof upstreamTopicSchema>;

export const UPSTREAM_TOPICS = Symbol('trigger-ingest.upstream-topics');

/** The Avro schema a topic's values are read with (the sample billing feed unless the config names another). */
export const avroSchemaOf = (topic: UpstreamTopic): (typeof upstreamAvroSchemas)[UpstreamAvroSchemaName] =>
  upstreamAvroSchemas[topic.schema ?? 'upstream-billing-event'];

/**
 * The contract topics plus each upstream topic: values Avro (reader schema from here, writer schema by the id in
 * each message) or JSON; keys plain text, possibly null, since upstream producers key as they like.
 */
export function upstreamCatalog(topics: readonly UpstreamTopic[]): SchemaCatalog {
  const catalog = new SchemaCatalog();
  for (const t of topics) {
    catalog.defineParts(t.topic, {
      key: { plain: 'utf8', nullable: true },
      value: t.format === 'avro' ? { avro: avroSchemaOf(t).schema } : { plain: 'json' },
    });
  }
  return catalog;
}

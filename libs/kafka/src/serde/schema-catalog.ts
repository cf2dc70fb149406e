import { avroSchemas, keySubject, topicContracts, valueSubject, type TopicName } from '@closeout/contracts';
import { NotAvroError, UnknownTopicError } from '../kafka.errors';

/** Avro schema JSON text for a topic's key and value. */
export interface TopicSchemas {
  keySchema: string;
  valueSchema: string;
}

export type MessagePart = 'key' | 'value';

/**
 * A key or value that is not Avro. Closeout's own topics are Avro throughout; feeds from systems outside
 * Closeout often carry UTF-8 text keys and JSON values, which a service consumes by declaring them plain.
 */
export interface PlainPart {
  plain: 'utf8' | 'json';
  /** An absent part (null bytes, e.g. an upstream producer's null key) decodes to null instead of being dead-lettered. */
  nullable?: boolean;
}

/** How one part of a topic's messages is written: Avro (schema JSON text, through the registry) or plain. */
export type PartSchema = { avro: string } | PlainPart;

export interface TopicParts {
  key: PartSchema;
  value: PartSchema;
}

export const isPlainPart = (schema: PartSchema): schema is PlainPart => 'plain' in schema;

export function subjectFor(topic: string, part: MessagePart): string {
  return part === 'key' ? keySubject(topic) : valueSubject(topic);
}

/**
 * Which schema backs each topic's key and value. Starts with every contract topic from
 * @closeout/contracts; `define` adds topics outside the contracts (tests, benchmarks, upstream feeds), and
 * `defineParts` topics whose key or value is plain UTF-8 text or JSON.
 */
export class SchemaCatalog {
  private readonly byTopic = new Map<string, TopicParts>();

  constructor(includeContracts = true) {
    if (includeContracts) {
      for (const topic of Object.keys(topicContracts) as TopicName[]) {
        const contract = topicContracts[topic];
        this.define(topic, {
          keySchema: avroSchemas[contract.keySchema],
          valueSchema: avroSchemas[contract.valueSchema],
        });
      }
    }
  }

  define(topic: string, schemas: TopicSchemas): this {
    return this.defineParts(topic, {
      key: { avro: schemas.keySchema },
      value: { avro: schemas.valueSchema },
    });
  }

  defineParts(topic: string, parts: TopicParts): this {
    this.byTopic.set(topic, parts);
    return this;
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** How `part` of `topic` is written; throws UnknownTopicError for a topic the catalog does not know. */
  partSchema(topic: string, part: MessagePart): PartSchema {
    const parts = this.byTopic.get(topic);
    if (!parts) throw new UnknownTopicError(topic);
    return parts[part];
  }

  /** Both Avro schemas of a topic; throws NotAvroError when a part is plain. */
  get(topic: string): TopicSchemas {
    return { keySchema: this.schemaText(topic, 'key'), valueSchema: this.schemaText(topic, 'value') };
  }

  schemaText(topic: string, part: MessagePart): string {
    const schema = this.partSchema(topic, part);
    if (isPlainPart(schema)) throw new NotAvroError(topic, part);
    return schema.avro;
  }
}

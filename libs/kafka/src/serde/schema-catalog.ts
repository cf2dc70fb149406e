import { avroSchemas, keySubject, topicContracts, valueSubject, type TopicName } from '@closeout/contracts';
import { UnknownTopicError } from '../kafka.errors';

/** Avro schema JSON text for a topic's key and value. */
export interface TopicSchemas {
  keySchema: string;
  valueSchema: string;
}

export type MessagePart = 'key' | 'value';

export function subjectFor(topic: string, part: MessagePart): string {
  return part === 'key' ? keySubject(topic) : valueSubject(topic);
}

/**
 * Which schema backs each topic's key and value. Starts with every contract topic from
 * @closeout/contracts; `define` adds topics outside the contracts (tests, benchmarks, upstream feeds).
 */
export class SchemaCatalog {
  private readonly byTopic = new Map<string, TopicSchemas>();

  constructor(includeContracts = true) {
    if (includeContracts) {
      for (const topic of Object.keys(topicContracts) as TopicName[]) {
        const contract = topicContracts[topic];
        this.byTopic.set(topic, {
          keySchema: avroSchemas[contract.keySchema],
          valueSchema: avroSchemas[contract.valueSchema],
        });
      }
    }
  }

  define(topic: string, schemas: TopicSchemas): this {
    this.byTopic.set(topic, schemas);
    return this;
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  get(topic: string): TopicSchemas {
    const schemas = this.byTopic.get(topic);
    if (!schemas) throw new UnknownTopicError(topic);
    return schemas;
  }

  schemaText(topic: string, part: MessagePart): string {
    const schemas = this.get(topic);
    return part === 'key' ? schemas.keySchema : schemas.valueSchema;
  }
}

import { loadConfig } from '@closeout/config';
import { configProblems } from '@closeout/config/testing';
import { configSchema } from './config';

const base = {
  SERVICE_NAME: 'trigger-ingest',
  HTTP_PORT: '3001',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/closeout',
  INGEST_API_TOKENS: 'billing[billing-core|collections-core]=a-token-of-sixteen-chars',
};

const problems = (env: Record<string, string>): string[] => configProblems(configSchema, env);

describe('trigger-ingest configuration', () => {
  it('consumes no upstream topic unless told to', () => {
    expect(loadConfig(configSchema, base).INGEST_UPSTREAM_TOPICS).toEqual([]);
  });

  it('reads the upstream topics', () => {
    const topics = [
      { topic: 'billing.events.v1', format: 'avro', sourceSystem: 'billing-core' },
      { topic: 'collections.events.v1', format: 'json' },
    ];
    expect(
      loadConfig(configSchema, { ...base, INGEST_UPSTREAM_TOPICS: JSON.stringify(topics) })
        .INGEST_UPSTREAM_TOPICS,
    ).toEqual(topics);
  });

  it('fails naming the variable, the entry and the rule', () => {
    expect(
      problems({ ...base, INGEST_UPSTREAM_TOPICS: '[{"topic":"billing.events.v1","format":"xml"}]' }),
    ).toEqual([
      'INGEST_UPSTREAM_TOPICS.0.format: must be "avro" (Confluent wire format through the registry) or "json"',
    ]);
    expect(problems({ ...base, INGEST_UPSTREAM_TOPICS: '[{topic}]' })).toEqual([
      expect.stringMatching(/^INGEST_UPSTREAM_TOPICS: must be JSON: /),
    ]);
    expect(
      problems({
        ...base,
        INGEST_UPSTREAM_TOPICS: JSON.stringify([
          { topic: 'a.v1', format: 'json' },
          { topic: 'a.v1', format: 'avro' },
        ]),
      }),
    ).toEqual(['INGEST_UPSTREAM_TOPICS: lists a topic twice']);
    expect(
      problems({
        ...base,
        INGEST_UPSTREAM_TOPICS: JSON.stringify([
          { topic: 'a.v1', format: 'json', schema: 'upstream-billing-event' },
        ]),
      }),
    ).toEqual(['INGEST_UPSTREAM_TOPICS.0.schema: applies to avro topics only']);
  });
});

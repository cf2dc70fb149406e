import { loadConfig } from '@closeout/config';
import { configProblems } from '@closeout/config/testing';
import { parseRestDestinations } from '@closeout/writeback-adapter-rest';
import { configSchema } from './config';

const base = {
  SERVICE_NAME: 'writeback-rest',
  HTTP_PORT: '3005',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/closeout',
  WRITEBACK_REQUEST_PUBLIC_KEYS: 'orchestrator-1=/etc/closeout/request-keys/orchestrator-1.pem',
};
const destination = {
  name: 'core-banking-rest',
  baseUrl: 'https://core.bank.example/api-gw',
  auth: { type: 'bearer', token: 'a-long-enough-token' },
  apiVersions: ['2024-06-01'],
};

const problems = (env: Record<string, string>): string[] => configProblems(configSchema, env);

describe('writeback-rest configuration', () => {
  it('reads destinations and applies the worker defaults', () => {
    const config = loadConfig(configSchema, {
      ...base,
      WRITEBACK_REST_DESTINATIONS: JSON.stringify([destination]),
    });
    expect(config).toMatchObject({
      WRITEBACK_WORKER_CONCURRENCY: 32,
      WRITEBACK_LEASE_MS: 30_000,
      WRITEBACK_DB_SCHEMA: 'writeback_rest',
      WRITEBACK_RETRY_POLICY: {},
      // A restarted writeback-rest consumes again once its dead predecessor's session is over: the shortest there is.
      WRITEBACK_INTAKE_SESSION_TIMEOUT_MS: 6_000,
    });
    const [parsed] = parseRestDestinations(config.WRITEBACK_REST_DESTINATIONS);
    expect(parsed).toMatchObject({
      name: 'core-banking-rest',
      apiVersions: ['2024-06-01'],
      // A destination that does not declare de-duplication is not trusted with it.
      honoursIdempotencyKey: false,
      lookupVisibilityMs: 10_000,
    });
  });

  it('names the variable and the rule for each bad setting', () => {
    const found = problems({
      ...base,
      WRITEBACK_REST_DESTINATIONS: '[{"name": "core"',
      WRITEBACK_LEASE_MS: '0',
      WRITEBACK_DB_SCHEMA: 'Writeback-Rest',
      WRITEBACK_INTAKE_SESSION_TIMEOUT_MS: '1000',
      WRITEBACK_BREAKER: '{"core-banking-rest": {"probeIntervalMs": "soon"}}',
    });
    expect(found).toHaveLength(5);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^WRITEBACK_REST_DESTINATIONS: must be JSON \(an array of REST destinations\)/),
        expect.stringMatching(/^WRITEBACK_BREAKER\.core-banking-rest\.probeIntervalMs: /),
        expect.stringMatching(/^WRITEBACK_LEASE_MS: /),
        expect.stringMatching(/^WRITEBACK_DB_SCHEMA: must be a lower-case PostgreSQL identifier$/),
        expect.stringMatching(/^WRITEBACK_INTAKE_SESSION_TIMEOUT_MS: /),
      ]),
    );
  });

  it('refuses a destination that breaks its rules, naming the field', () => {
    const config = loadConfig(configSchema, {
      ...base,
      WRITEBACK_REST_DESTINATIONS: JSON.stringify([
        { ...destination, baseUrl: 'ftp://core', apiVersions: [] },
      ]),
    });
    expect(() => parseRestDestinations(config.WRITEBACK_REST_DESTINATIONS)).toThrow(
      /destinations\[0\]\.baseUrl: .*http.*[\s\S]*destinations\[0\]\.apiVersions/,
    );
  });
});

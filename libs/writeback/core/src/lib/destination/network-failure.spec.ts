import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import type { WritebackErrorClass } from '@closeout/contracts';
import { decideAfterError } from '@closeout/writeback-domain';
import { classifyNetworkFailure, networkFailureOf, type NetworkFailure } from './network-failure';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const DEST = 'core-banking-rest';

describe('classifyNetworkFailure', () => {
  const failure = (code: string | undefined, connected: boolean, message = 'boom'): NetworkFailure => ({
    code,
    message,
    connected,
  });

  it.each<[string, WritebackErrorClass, boolean, NetworkFailure]>([
    ['ECONNREFUSED', 'TRANSIENT', false, failure('ECONNREFUSED', false)],
    ['ENOTFOUND', 'TRANSIENT', false, failure('ENOTFOUND', false)],
    ['EAI_AGAIN', 'TRANSIENT', false, failure('EAI_AGAIN', false)],
    ['EHOSTUNREACH', 'TRANSIENT', false, failure('EHOSTUNREACH', false)],
    ['ENETUNREACH (whatever the connection flag says)', 'TRANSIENT', false, failure('ENETUNREACH', true)],
    ['a connect timeout', 'TRANSIENT', false, failure('ETIMEDOUT', false, 'not connected within 2000 ms')],
    ['a TLS handshake failure', 'TRANSIENT', false, failure('ECONNRESET', false)],
    ['a request timeout after connecting', 'AMBIGUOUS', true, failure('ETIMEDOUT', true)],
    ["axios's ECONNABORTED after connecting", 'AMBIGUOUS', true, failure('ECONNABORTED', true)],
    ['ECONNRESET', 'AMBIGUOUS', true, failure('ECONNRESET', true)],
    ['EPIPE', 'AMBIGUOUS', true, failure('EPIPE', true)],
    ['socket hang up', 'AMBIGUOUS', true, failure('ECONNRESET', true, 'socket hang up')],
    [
      'a body that broke off',
      'AMBIGUOUS',
      true,
      failure('ERR_BAD_RESPONSE', true, 'stream has been aborted'),
    ],
    ['an unknown error after connecting', 'AMBIGUOUS', true, failure(undefined, true)],
  ])('%s → %s (sent: %s)', (_, errorClass, sent, f) => {
    const error = classifyNetworkFailure(f, DEST);
    expect(error.errorClass).toBe(errorClass);
    expect(error.sent).toBe(sent);
    expect(error.message).toContain(DEST);
  });

  it('sends an ambiguous failure to lookup, and an unsent one to retry', () => {
    expect(decideAfterError(classifyNetworkFailure(failure('ECONNRESET', true), DEST), 1, NOW).kind).toBe(
      'resolve_unknown',
    );
    expect(decideAfterError(classifyNetworkFailure(failure('ECONNREFUSED', false), DEST), 1, NOW).kind).toBe(
      'retry',
    );
  });
});

describe('networkFailureOf', () => {
  it("takes the system error's code and keeps it, not the AxiosError with its headers, as the cause", () => {
    const system = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const config = {
      headers: new AxiosHeaders({ Authorization: 'Bearer secret' }),
    } as InternalAxiosRequestConfig;
    const axiosError = AxiosError.from(system, undefined, config);
    const result = networkFailureOf(axiosError, true);
    expect(result).toMatchObject({ code: 'ECONNRESET', connected: true });
    expect(result.cause).toBe(system);
  });

  it("falls back to axios's own code", () => {
    const result = networkFailureOf(new AxiosError('timeout of 10ms exceeded', 'ECONNABORTED'), false);
    expect(result).toMatchObject({ code: 'ECONNABORTED', connected: false });
  });

  it('reads a plain Node error', () => {
    const result = networkFailureOf(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), true);
    expect(result).toMatchObject({ code: 'EPIPE', message: 'write EPIPE', connected: true });
  });
});

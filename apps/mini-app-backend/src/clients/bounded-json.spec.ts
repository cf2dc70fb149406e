import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from '@closeout/config';
import { callJson, UpstreamError } from './bounded-json';

let server: Server;
let base: string;
const seen: Array<{ method?: string; authorization?: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method, authorization: req.headers.authorization, body });
      switch (req.url ?? '') {
        case '/ok':
          return res.writeHead(200, { 'content-type': 'application/json' }).end('{"n":1}');
        case '/big':
          return res.writeHead(200).end(JSON.stringify({ n: 1, pad: 'x'.repeat(5000) }));
        case '/chunked-big':
          res.writeHead(200);
          for (let i = 0; i < 10; i++) res.write('x'.repeat(1000));
          return res.end();
        case '/busy':
          return res.writeHead(429, { 'retry-after': '30' }).end('{}');
        case '/moved':
          return res.writeHead(302, { location: '/ok' }).end();
        case '/wrong':
          return res.writeHead(200).end('{"n":"one"}');
        case '/slow':
          return void setTimeout(() => res.writeHead(200).end('{"n":1}'), 500);
        default:
          return res.writeHead(200).end('not json');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const call = (path: string, extra: { method?: 'GET' | 'POST'; body?: unknown; timeoutMs?: number } = {}) =>
  callJson({
    upstream: 'stand-in',
    url: `${base}${path}`,
    method: extra.method ?? 'GET',
    token: 'secret-token',
    body: extra.body,
    timeoutMs: extra.timeoutMs ?? 2_000,
    maxBytes: 1024,
    ok: [200],
    schema: z.object({ n: z.number() }),
  });

const refusal = async (promise: Promise<unknown>): Promise<UpstreamError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('no UpstreamError');
};

describe('callJson', () => {
  it('sends the bearer token and JSON body, and answers the validated value', async () => {
    await expect(call('/ok', { method: 'POST', body: { code: '123456' } })).resolves.toEqual({
      status: 200,
      value: { n: 1 },
    });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      authorization: 'Bearer secret-token',
      body: '{"code":"123456"}',
    });
  });

  it('refuses an answer over maxBytes, declared or streamed', async () => {
    expect((await refusal(call('/big'))).rule).toBe('answer larger than 1024 bytes');
    expect((await refusal(call('/chunked-big'))).rule).toBe('answer larger than 1024 bytes');
  });

  it('names the status and Retry-After of an unexpected answer, and follows no redirect', async () => {
    const busy = await refusal(call('/busy'));
    expect([busy.status, busy.rule, busy.retryAfterSeconds]).toEqual([429, 'answered 429', 30]);
    expect((await refusal(call('/moved'))).status).toBe(302);
  });

  it('refuses a body that is not JSON or not of the schema', async () => {
    expect((await refusal(call('/text'))).rule).toBe('answer is not JSON');
    expect((await refusal(call('/wrong'))).rule).toMatch(/^answer refused: n /);
  });

  it('gives up at the deadline, and calls a closed port unreachable', async () => {
    expect((await refusal(call('/slow', { timeoutMs: 100 }))).rule).toBe('no answer within 100 ms');
    const closed = await refusal(
      callJson({
        upstream: 'nobody',
        url: 'http://127.0.0.1:1/x',
        method: 'GET',
        token: 't',
        timeoutMs: 1_000,
        maxBytes: 10,
        ok: [200],
        schema: z.object({}),
      }),
    );
    expect([closed.status, closed.rule]).toEqual([0, 'unreachable']);
  });
});

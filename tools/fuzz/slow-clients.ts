/**
 * Slow and lying clients over raw sockets: slowloris headers, idle connections, a declared body that never comes, a
 * body dribbled a byte a second, and an unauthenticated upload the server must refuse without reading. Each check
 * says how soon the server must have answered or cut the connection.
 */
import type { Api, Service } from './corpus';
import { slowClient, type SlowOutcome } from './raw-http';

export interface SlowCheck {
  api: Api;
  service: Service;
  name: string;
  /** The server must have answered or closed by then (ms). */
  mustEndWithinMs: number;
  /** Statuses accepted when it answers (default: any below 500); 'closed' is always accepted unless `mustAnswer`. */
  expect?: number[];
  mustAnswer?: boolean;
  /** The answer must come before the client got to send this many bytes (the body was not read). */
  answerBeforeBytes?: number;
  run: () => Promise<SlowOutcome>;
}

export interface SlowTarget {
  api: Api;
  service: Service;
  port: number;
  method: 'GET' | 'POST';
  path: string;
  /** The valid bearer token, for /v1 routes. */
  token?: string;
}

/** The server's timeouts (configure-http.ts) plus what a loaded two-core machine needs. */
export const SLOW_BOUNDS = { headers: 12_500, request: 33_000, answer: 3_000 } as const;

export function slowChecks(targets: SlowTarget[], marker: string): SlowCheck[] {
  const checks: SlowCheck[] = [];
  const authLine = (t: SlowTarget) => (t.token ? `Authorization: Bearer ${t.token}\r\n` : '');
  for (const t of targets) {
    const label = `${t.method} ${t.path}`;
    const base = { api: t.api, service: t.service };
    // Slowloris: the header block one byte a second, never finished.
    checks.push({
      ...base,
      name: `${label}: slowloris headers (1 byte/s)`,
      mustEndWithinMs: SLOW_BOUNDS.headers,
      expect: [408, 400],
      run: () =>
        slowClient(t.port, {
          head: Buffer.from(`${t.method} ${t.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`),
          trickle: Buffer.from(`X-Slow: ${marker}${'s'.repeat(60)}`),
          everyMs: 1_000,
          boundMs: SLOW_BOUNDS.headers + 10_000,
        }),
    });
    // A connection that never sends a byte.
    checks.push({
      ...base,
      name: `${label}: idle connection`,
      mustEndWithinMs: SLOW_BOUNDS.headers,
      expect: [408, 400],
      run: () => slowClient(t.port, { head: Buffer.alloc(0), boundMs: SLOW_BOUNDS.headers + 10_000 }),
    });
    if (t.method !== 'POST') continue;
    const head = (contentLength: number, token = true) =>
      Buffer.from(
        `${t.method} ${t.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${token ? authLine(t) : ''}Content-Type: application/json\r\n` +
          `Content-Length: ${contentLength}\r\n\r\n{"a":"${marker}${'x'.repeat(1000)}`,
      );
    // Declares 10 MB, sends 1 KB, then silence: refused on the declared size at once, the body unread.
    checks.push({
      ...base,
      name: `${label}: Content-Length 10 MB, 1 KB sent, then silence`,
      mustEndWithinMs: SLOW_BOUNDS.answer,
      expect: [413],
      mustAnswer: true,
      run: () => slowClient(t.port, { head: head(10 * 1024 * 1024), boundMs: SLOW_BOUNDS.request + 15_000 }),
    });
    // Declares a size under the limit, sends 1 KB, then silence: only the request timeout can end it.
    checks.push({
      ...base,
      name: `${label}: Content-Length 200 KB, 1 KB sent, then silence`,
      mustEndWithinMs: SLOW_BOUNDS.request,
      expect: [408, 400],
      run: () => slowClient(t.port, { head: head(200 * 1024), boundMs: SLOW_BOUNDS.request + 15_000 }),
    });
    // The body one byte a second.
    checks.push({
      ...base,
      name: `${label}: body at 1 byte/s`,
      mustEndWithinMs: SLOW_BOUNDS.request,
      expect: [408, 400],
      run: () =>
        slowClient(t.port, {
          head: Buffer.from(
            `${t.method} ${t.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${authLine(t)}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
          ),
          trickle: Buffer.from(`{"a":"${marker}${'b'.repeat(100)}`).subarray(0, 99),
          everyMs: 1_000,
          boundMs: SLOW_BOUNDS.request + 15_000,
        }),
    });
    if (!t.token) continue;
    // An unauthenticated 50 MB upload, sent as fast as the socket takes it: 401 before the body is read.
    checks.push({
      ...base,
      name: `${label}: unauthenticated 50 MB upload`,
      mustEndWithinMs: SLOW_BOUNDS.answer,
      expect: [401],
      mustAnswer: true,
      answerBeforeBytes: 50 * 1024 * 1024,
      run: () =>
        slowClient(t.port, {
          head: head(50 * 1024 * 1024, false),
          trickle: Buffer.alloc(50 * 1024 * 1024 - 1010, 0x78),
          pieceBytes: 64 * 1024,
          everyMs: 20,
          boundMs: SLOW_BOUNDS.answer + 10_000,
        }),
    });
  }
  return checks;
}

/** What is wrong with a slow check's outcome (empty when it passed). */
export function judgeSlow(
  check: SlowCheck,
  o: SlowOutcome,
): { problems: string[]; fiveXX: boolean; hang: boolean } {
  const problems: string[] = [];
  const hang = o.kind === 'held' || o.elapsedMs > check.mustEndWithinMs;
  if (o.kind === 'held')
    problems.push(`still open after ${o.elapsedMs} ms (bound ${check.mustEndWithinMs} ms)`);
  else if (o.elapsedMs > check.mustEndWithinMs)
    problems.push(`ended after ${o.elapsedMs} ms, past its bound of ${check.mustEndWithinMs} ms`);
  const fiveXX = o.status !== undefined && o.status >= 500;
  if (fiveXX) problems.push(`answered ${o.status}`);
  if (check.mustAnswer && o.kind !== 'answered') problems.push(`closed without an answer`);
  if (check.answerBeforeBytes !== undefined && o.bytesSent >= check.answerBeforeBytes)
    problems.push(`answered only after the whole body was sent (${o.bytesSent} bytes)`);
  if (o.kind === 'answered' && check.expect && !check.expect.includes(o.status!))
    problems.push(`answered ${o.status}, expected ${check.expect.join('|')}`);
  return { problems, fiveXX, hang };
}

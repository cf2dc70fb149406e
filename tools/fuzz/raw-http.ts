/**
 * A minimal HTTP/1.1 client over node:net for the fuzz suite: it sends exactly the bytes a case names (duplicate
 * headers, lying Content-Length, unknown methods, raw paths Node's own client would refuse), reads the answer
 * incrementally, and reports a hang as a hang instead of waiting for it.
 */
import { connect, type Socket } from 'node:net';

export interface RawRequest {
  method: string;
  /** Sent as-is in the request line: percent-encoding errors and all. */
  path: string;
  /** In order; a name may repeat. Host, Connection and Content-Length are added unless given or suppressed. */
  headers?: Array<[string, string]>;
  body?: Buffer | string;
  /** Add `Content-Length` for the body (default true when there is a body and no Transfer-Encoding header). */
  contentLength?: boolean;
  /** Add `Host` (default true). */
  host?: boolean;
}

export interface RawResponse {
  kind: 'response';
  status: number;
  /** Lower-cased names; a repeated header's values joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  elapsedMs: number;
}

/** The server closed or reset the connection without a complete status line and headers. */
export interface RawClosed {
  kind: 'closed';
  elapsedMs: number;
  error?: string;
}

/** Nothing (complete) within the bound: a hang. */
export interface RawTimeout {
  kind: 'timeout';
  elapsedMs: number;
  /** Whether headers had arrived (the body never completed). */
  partial: boolean;
}

export type RawOutcome = RawResponse | RawClosed | RawTimeout;

const has = (headers: Array<[string, string]>, name: string): boolean =>
  headers.some(([n]) => n.toLowerCase() === name);

/** The request's bytes: request line, headers, blank line (the body is written separately). */
export function requestHead(port: number, req: RawRequest): Buffer {
  const headers = [...(req.headers ?? [])];
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  if ((req.host ?? true) && !has(headers, 'host')) headers.unshift(['Host', `127.0.0.1:${port}`]);
  if (!has(headers, 'connection')) headers.push(['Connection', 'close']);
  if (
    body !== undefined &&
    (req.contentLength ?? true) &&
    !has(headers, 'content-length') &&
    !has(headers, 'transfer-encoding')
  )
    headers.push(['Content-Length', String(body.length)]);
  const lines = [`${req.method} ${req.path} HTTP/1.1`, ...headers.map(([n, v]) => `${n}: ${v}`)];
  // latin1: a header value carrying bytes above 0x7f is sent byte for byte, as a hostile client would.
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Incremental parser of one HTTP/1.1 response. */
export class ResponseReader {
  private buf = Buffer.alloc(0);
  status = 0;
  headers: Record<string, string> = {};
  private headerEnd = -1;
  body: Buffer | undefined;

  constructor(private readonly method: string) {}

  get headersDone(): boolean {
    return this.headerEnd >= 0;
  }

  /** Feeds bytes; true once the response is complete. */
  push(chunk: Buffer): boolean {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (this.headerEnd < 0) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
      this.status = m ? Number(m[1]) : -1;
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        this.headers[name] = this.headers[name] === undefined ? value : `${this.headers[name]}, ${value}`;
      }
      this.headerEnd = end + 4;
      // An interim answer (100 Continue): start over on what follows it.
      if (this.status >= 100 && this.status < 200) {
        const rest = this.buf.subarray(this.headerEnd);
        this.buf = Buffer.alloc(0);
        this.headerEnd = -1;
        this.headers = {};
        return rest.length > 0 ? this.push(rest) : false;
      }
    }
    return this.complete();
  }

  private complete(): boolean {
    const rest = this.buf.subarray(this.headerEnd);
    if (this.method === 'HEAD' || this.status === 204 || this.status === 304) {
      this.body = Buffer.alloc(0);
      return true;
    }
    if (/chunked/i.test(this.headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      let at = 0;
      for (;;) {
        const eol = rest.indexOf('\r\n', at);
        if (eol < 0) return false;
        const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
        if (Number.isNaN(size)) return false;
        if (size === 0) {
          this.body = Buffer.concat(parts);
          return true;
        }
        if (rest.length < eol + 2 + size + 2) return false;
        parts.push(rest.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }
    const length = this.headers['content-length'];
    if (length !== undefined) {
      const n = Number(length);
      if (rest.length < n) return false;
      this.body = rest.subarray(0, n);
      return true;
    }
    return false; // read until the connection closes
  }

  /** What arrived when the connection ended. */
  finish(): Buffer | undefined {
    if (this.headerEnd < 0) return undefined;
    return this.body ?? this.buf.subarray(this.headerEnd);
  }
}

/**
 * Sends one request on a fresh connection and waits at most `timeoutMs` for its complete answer. The body is written
 * in chunks as the socket drains and no further once the answer is in (a server may answer before reading it).
 */
export function send(port: number, req: RawRequest, timeoutMs: number): Promise<RawOutcome> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  return new Promise((resolve) => {
    const reader = new ResponseReader(req.method.toUpperCase());
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const done = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const response = (body: Buffer): RawResponse => ({
      kind: 'response',
      status: reader.status,
      headers: reader.headers,
      body,
      elapsedMs: elapsed(),
    });
    const timer = setTimeout(
      () => done({ kind: 'timeout', elapsedMs: elapsed(), partial: reader.headersDone }),
      timeoutMs,
    );
    socket.on('connect', () => {
      socket.write(requestHead(port, req));
      if (req.body !== undefined) void writeBody(socket, Buffer.from(req.body), () => settled);
    });
    socket.on('data', (chunk: Buffer) => {
      if (reader.push(chunk)) done(response(reader.body!));
    });
    const ended = (error?: Error) => {
      const body = reader.finish();
      if (body !== undefined) done(response(body));
      else done({ kind: 'closed', elapsedMs: elapsed(), ...(error ? { error: error.message } : {}) });
    };
    socket.on('end', () => ended());
    socket.on('error', (error) => ended(error));
    socket.on('close', () => ended());
  });
}

async function writeBody(socket: Socket, body: Buffer, stop: () => boolean): Promise<void> {
  const CHUNK = 64 * 1024;
  for (let at = 0; at < body.length && !stop() && !socket.destroyed; at += CHUNK) {
    const more = socket.write(body.subarray(at, at + CHUNK));
    if (!more) await new Promise<void>((r) => (socket.once('drain', r), socket.once('close', r)));
  }
}

/** The result of a slow client: how long until the server answered or cut the connection, and what it sent. */
export interface SlowOutcome {
  /** 'answered': a status line arrived; 'closed': the server closed without one; 'held': still open at the bound. */
  kind: 'answered' | 'closed' | 'held';
  status?: number;
  elapsedMs: number;
  /** Bytes the client got to write before the end. */
  bytesSent: number;
}

/**
 * A client that writes `head` and then `trickle` one piece every `everyMs` (slowloris when `trickle` is the rest of
 * the headers one byte at a time), and reports when the server answered or closed, giving up at `boundMs`.
 */
export function slowClient(
  port: number,
  opts: { head: Buffer; trickle?: Buffer; pieceBytes?: number; everyMs?: number; boundMs: number },
): Promise<SlowOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let sent = 0;
    let settled = false;
    let interval: NodeJS.Timeout | undefined;
    const reader = new ResponseReader('POST');
    const socket = connect({ host: '127.0.0.1', port });
    const done = (outcome: Omit<SlowOutcome, 'elapsedMs' | 'bytesSent'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (interval) clearInterval(interval);
      socket.destroy();
      resolve({ ...outcome, elapsedMs: Date.now() - started, bytesSent: sent });
    };
    const timer = setTimeout(() => done({ kind: 'held' }), opts.boundMs);
    socket.on('connect', () => {
      if (opts.head.length > 0) {
        socket.write(opts.head);
        sent += opts.head.length;
      }
      const trickle = opts.trickle;
      if (!trickle || trickle.length === 0) return;
      const piece = opts.pieceBytes ?? 1;
      let at = 0;
      interval = setInterval(() => {
        if (at >= trickle.length || socket.destroyed) return void clearInterval(interval);
        const chunk = trickle.subarray(at, at + piece);
        at += chunk.length;
        socket.write(chunk, () => undefined);
        sent += chunk.length;
      }, opts.everyMs ?? 1000);
    });
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.headersDone) done({ kind: 'answered', status: reader.status });
    });
    const ended = () =>
      done(reader.headersDone ? { kind: 'answered', status: reader.status } : { kind: 'closed' });
    socket.on('end', ended);
    socket.on('error', ended);
    socket.on('close', ended);
  });
}

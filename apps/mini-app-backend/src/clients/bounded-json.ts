/**
 * Calls another Closeout service over HTTP with a deadline and reads at most `maxBytes` of its answer: an answer is
 * evidence from another process, bounded and validated (zod) before anything reads it.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { z } from '@closeout/config';
import { httpClientSpan } from '@closeout/telemetry';

export class UpstreamError extends Error {
  constructor(
    readonly upstream: string,
    /** HTTP status, or 0 when no answer came (timeout, refused connection, a body too large or malformed). */
    readonly status: number,
    readonly rule: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${upstream}: ${rule}`);
    this.name = 'UpstreamError';
  }
}

/**
 * Keep-alive connections to the other services, reused across calls: node:http's own client, which costs a fraction of
 * `fetch`'s CPU per call (no WHATWG streams, Headers or Request objects) — the mini-app makes one or two such calls a
 * page.
 */
const AGENTS = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }),
};

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request with a deadline over the whole exchange; the answer's body read up to `maxBytes`. */
function exchange(call: JsonCall<z.ZodType>, traceHeaders: Record<string, string>): Promise<Answer> {
  const url = new URL(call.url);
  const protocol = url.protocol === 'https:' ? 'https:' : url.protocol === 'http:' ? 'http:' : undefined;
  if (!protocol) return Promise.reject(new UpstreamError(call.upstream, 0, 'unreachable'));
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: UpstreamError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = (protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: call.method,
        agent: AGENTS[protocol],
        headers: {
          ...traceHeaders,
          authorization: `Bearer ${call.token}`,
          accept: 'application/json',
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > call.maxBytes)
          return fail(new UpstreamError(call.upstream, 0, `answer larger than ${call.maxBytes} bytes`));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > call.maxBytes)
            fail(new UpstreamError(call.upstream, 0, `answer larger than ${call.maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', () => fail(new UpstreamError(call.upstream, 0, 'unreachable')));
      },
    );
    const timer = setTimeout(
      () => fail(new UpstreamError(call.upstream, 0, `no answer within ${call.timeoutMs} ms`)),
      call.timeoutMs,
    );
    req.on('error', () => fail(new UpstreamError(call.upstream, 0, 'unreachable')));
    req.end(body);
  });
}

export interface JsonCall<S extends z.ZodType> {
  upstream: string;
  url: string;
  /**
   * The URL's path as a template (`/v1/cases/{caseId}/eligible-actions`): what the trace records instead of the path
   * (required where the path carries a token's hash).
   */
  urlTemplate?: string;
  method: 'GET' | 'POST';
  token: string;
  body?: unknown;
  timeoutMs: number;
  maxBytes: number;
  /** Statuses whose JSON body is the answer (the others are UpstreamErrors). */
  ok: readonly number[];
  schema: S;
}

export async function callJson<S extends z.ZodType>(
  call: JsonCall<S>,
): Promise<{ status: number; value: z.infer<S> }> {
  // Redirects are not followed: a 3xx is not among `ok`, so it is an UpstreamError like any unexpected status.
  // In a CLIENT span whose `traceparent` the other service continues.
  const res = await httpClientSpan(
    { method: call.method, url: call.url, ...(call.urlTemplate ? { urlTemplate: call.urlTemplate } : {}) },
    (traceHeaders) => exchange(call, traceHeaders),
    (answer) => answer.status,
  );
  const text = res.text;
  if (!call.ok.includes(res.status)) {
    const retryAfter = Number(res.headers['retry-after']);
    throw new UpstreamError(
      call.upstream,
      res.status,
      `answered ${res.status}`,
      Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 3600) : undefined,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamError(call.upstream, 0, 'answer is not JSON');
  }
  const parsed = call.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UpstreamError(
      call.upstream,
      0,
      `answer refused: ${issue?.path.join('.') || '$'} ${issue?.message ?? ''}`,
    );
  }
  return { status: res.status, value: parsed.data };
}

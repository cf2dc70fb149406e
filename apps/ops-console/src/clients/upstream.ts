/**
 * Calls to the other services' APIs, server-side, with the console's own credentials: a timeout, a bounded body, and
 * an answer a page can show whatever happened (never an exception, never the upstream's body in an error). Each call
 * in a CLIENT span whose `traceparent` the other service continues (the path recorded, never the query string).
 */
import { httpClientSpan } from '@closeout/telemetry';

export type Fetched<T> =
  { ok: true; status: number; body: T } | { ok: false; status?: number; reason: string; body?: unknown };

export interface UpstreamOptions {
  /** What the page calls the service ("the orchestrator"). */
  label: string;
  baseUrl: string | undefined;
  token?: string | undefined;
  timeoutMs: number;
  /** Largest body read, in bytes. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export class Upstream {
  constructor(private readonly options: UpstreamOptions) {}

  get configured(): boolean {
    return this.options.baseUrl !== undefined;
  }

  get label(): string {
    return this.options.label;
  }

  async get<T>(path: string, headers: Record<string, string> = {}): Promise<Fetched<T>> {
    return this.call<T>('GET', path, undefined, headers);
  }

  async post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Fetched<T>> {
    return this.call<T>('POST', path, body, headers);
  }

  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<Fetched<T>> {
    const { baseUrl, token, timeoutMs, label } = this.options;
    if (baseUrl === undefined) return { ok: false, reason: `${label} is not configured` };
    const url = new URL(path, baseUrl);
    let res: Response;
    try {
      res = await httpClientSpan(
        { method, url },
        (traceHeaders) =>
          fetch(url, {
            method,
            headers: {
              ...traceHeaders,
              accept: 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...headers,
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
            signal: AbortSignal.timeout(timeoutMs),
            redirect: 'error',
          }),
        (answer) => answer.status,
      );
    } catch {
      return { ok: false, reason: `${label} did not answer` };
    }
    const text = await readBounded(res, this.options.maxBytes ?? DEFAULT_MAX_BYTES);
    let parsed: unknown;
    try {
      parsed = text === undefined || text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (text === undefined) return { ok: false, status: res.status, reason: `${label} answered too much` };
    if (!res.ok)
      return { ok: false, status: res.status, reason: `${label} answered ${res.status}`, body: parsed };
    if (parsed === undefined) return { ok: false, status: res.status, reason: `${label} answered no JSON` };
    return { ok: true, status: res.status, body: parsed as T };
  }
}

async function readBounded(res: Response, maxBytes: number): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

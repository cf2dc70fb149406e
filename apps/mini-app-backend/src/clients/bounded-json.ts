/**
 * Calls another Closeout service over HTTP with a deadline and reads at most `maxBytes` of its answer: an answer is
 * evidence from another process, bounded and validated (zod) before anything reads it.
 */
import type { z } from '@closeout/config';

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

async function readBounded(res: Response, maxBytes: number, upstream: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new UpstreamError(upstream, 0, `answer larger than ${maxBytes} bytes`);
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
      throw new UpstreamError(upstream, 0, `answer larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface JsonCall<S extends z.ZodType> {
  upstream: string;
  url: string;
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
  let res: Response;
  try {
    res = await fetch(call.url, {
      method: call.method,
      headers: {
        authorization: `Bearer ${call.token}`,
        accept: 'application/json',
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(call.timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new UpstreamError(
      call.upstream,
      0,
      timedOut ? `no answer within ${call.timeoutMs} ms` : 'unreachable',
    );
  }
  const text = await readBounded(res, call.maxBytes, call.upstream);
  if (!call.ok.includes(res.status)) {
    const retryAfter = Number(res.headers.get('retry-after'));
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

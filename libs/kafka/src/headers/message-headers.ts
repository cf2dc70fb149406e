import type { HeaderValue, RawHeaders } from '../ports/message-bus.port';

/** Header names on the wire. The correlation id is one per case, end to end (see docs/architecture.md). */
export const HeaderNames = {
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  idempotencyKey: 'idempotency-key',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** What a publisher states about a message it sends. */
export interface PublishHeaders {
  correlationId: string;
  causationId?: string;
  idempotencyKey?: string;
}

/** What a handler learns about the message it got. */
export interface MessageHeaders extends PublishHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** Our headers as wire headers; absent optional ones are left out rather than sent empty. */
export function toWireHeaders(headers: PublishHeaders): Record<string, string> {
  const wire: Record<string, string> = { [HeaderNames.correlationId]: headers.correlationId };
  if (headers.causationId) wire[HeaderNames.causationId] = headers.causationId;
  if (headers.idempotencyKey) wire[HeaderNames.idempotencyKey] = headers.idempotencyKey;
  return wire;
}

/** A header's text; when a key repeats, the last value wins (the one added closest to the send). */
export function headerText(value: HeaderValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (last === undefined) return undefined;
  return Buffer.isBuffer(last) ? last.toString('utf8') : last;
}

/** Every header as text, for trace extraction and logs. */
export function headersAsText(raw: RawHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const text = headerText(value);
    if (text !== undefined) out[name] = text;
  }
  return out;
}

/** Reads our headers back; `correlationId` is undefined when the message lacks it (a contract breach). */
export function fromWireHeaders(raw: RawHeaders): Partial<MessageHeaders> {
  const text = headersAsText(raw);
  const read = (name: string): string | undefined => (text[name] ? text[name] : undefined);
  const out: Partial<MessageHeaders> = {};
  const correlationId = read(HeaderNames.correlationId);
  const causationId = read(HeaderNames.causationId);
  const idempotencyKey = read(HeaderNames.idempotencyKey);
  const traceparent = read(HeaderNames.traceparent);
  const tracestate = read(HeaderNames.tracestate);
  if (correlationId) out.correlationId = correlationId;
  if (causationId) out.causationId = causationId;
  if (idempotencyKey) out.idempotencyKey = idempotencyKey;
  if (traceparent) out.traceparent = traceparent;
  if (tracestate) out.tracestate = tracestate;
  return out;
}

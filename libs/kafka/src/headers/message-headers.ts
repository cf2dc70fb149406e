import type { HeaderValue, RawHeaders } from '../ports/message-bus.port';

/** Header names on the wire. The correlation id is one per case, end to end (see docs/architecture.md). */
export const HeaderNames = {
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  idempotencyKey: 'idempotency-key',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/**
 * What a publisher states about a message it sends. `traceparent` / `tracestate` name the trace the message belongs
 * to (e.g. as stored in an outbox row); the message's producer span continues it, and the wire carries the producer
 * span's own context. Without them the producer span continues the active context.
 */
export interface PublishHeaders {
  correlationId: string;
  causationId?: string;
  idempotencyKey?: string;
  traceparent?: string;
  tracestate?: string;
}

/** What a handler learns about the message it got. */
export type MessageHeaders = PublishHeaders;

/** The message's own attributes on its spans (docs/operations/tracing.md): the case, workflow, key, destination. */
export function closeoutSpanAttributes(
  key: unknown,
  value: unknown,
  headers: Partial<PublishHeaders>,
): Record<string, string> {
  const field = (o: unknown, name: string): string | undefined => {
    const v = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[name] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const attributes: Record<string, string> = {};
  const caseId = field(value, 'caseId') ?? field(key, 'caseId');
  const workflowId = field(value, 'workflowId');
  const destination = field(value, 'destination');
  const idempotencyKey = headers.idempotencyKey ?? field(value, 'idempotencyKey');
  if (caseId) attributes['closeout.case_id'] = caseId;
  if (workflowId) attributes['closeout.workflow_id'] = workflowId;
  if (idempotencyKey) attributes['closeout.idempotency_key'] = idempotencyKey;
  if (destination) attributes['closeout.destination'] = destination;
  return attributes;
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

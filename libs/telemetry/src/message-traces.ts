import { AsyncLocalStorage } from 'node:async_hooks';
import { context, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { contextWithSpan, extractTraceContext, linksToActiveSpan, startSpan } from './tracing';

/**
 * The trace context of each message a batch handler works on, by the message's correlation id (one per case): what a
 * batch handler writes for a case (outbox rows, ledger rows) continues that case's message, not the batch, so two
 * cases handled in one batch keep two traces without the handler passing contexts around.
 */
const scope = new AsyncLocalStorage<ReadonlyMap<string, Context>>();

export function runWithMessageTraces<T>(byCorrelationId: ReadonlyMap<string, Context>, fn: () => T): T {
  return scope.run(byCorrelationId, fn);
}

/** The trace context of the message with this correlation id in the running batch, else the active context. */
export function messageTraceContext(correlationId: string | undefined): Context {
  const ctx = correlationId === undefined ? undefined : scope.getStore()?.get(correlationId);
  return ctx ?? context.active();
}

/** The scopes `addMessageTrace` may add to: those of `runWithGrowableMessageTraces`, never a batch's. */
const growable = new WeakSet<Map<string, Context>>();

/**
 * Runs `fn` in a scope of message trace contexts that starts empty and grows as `fn` learns which case it serves: an
 * HTTP request learns it only once it has read its link or session, and then adds the case's context
 * (`addMessageTrace`), which what it writes afterwards (`messageTraceContext` by correlation id) continues.
 */
export function runWithGrowableMessageTraces<T>(fn: () => T): T {
  const traces = new Map<string, Context>();
  growable.add(traces);
  return scope.run(traces, fn);
}

/**
 * Adds the trace context of a case (by its correlation id) to the running `runWithGrowableMessageTraces` scope; the
 * first context added for a correlation id stays. False when no such scope is running.
 */
export function addMessageTrace(correlationId: string, ctx: Context): boolean {
  const traces = scope.getStore();
  if (!(traces instanceof Map) || !growable.has(traces)) return false;
  if (!traces.has(correlationId)) traces.set(correlationId, ctx);
  return true;
}

/** The context `addMessageTrace` holds for this correlation id in the running scope, if any. */
export function addedMessageTrace(correlationId: string): Context | undefined {
  const traces = scope.getStore();
  return traces instanceof Map && growable.has(traces) ? traces.get(correlationId) : undefined;
}

/** A trace context kept with a row (a link, a session, a send): the W3C header values, null when none was kept. */
export interface KeptTraceContext {
  traceparent: string | null;
  tracestate: string | null;
}

/** The W3C headers of a kept trace context (what `withSpan` and `extractTraceContext` take), or none. */
export function keptTraceHeaders(
  kept: KeptTraceContext,
): { traceparent: string; tracestate?: string } | undefined {
  return kept.traceparent
    ? { traceparent: kept.traceparent, ...(kept.tracestate ? { tracestate: kept.tracestate } : {}) }
    : undefined;
}

/**
 * Continues a trace kept with a row in the running growable scope: starts a span `name`, the child of the kept
 * context and linked to the active span (the request's own), and adds it for `correlationId` (`addMessageTrace`), so
 * what is written for the case afterwards continues the case's trace. The caller ends the span. Undefined (nothing
 * started) when no context was kept, one was already added for the correlation id, or no growable scope runs.
 */
export function continueKeptTrace(
  name: string,
  correlationId: string,
  kept: KeptTraceContext,
  attributes: Attributes = {},
): Span | undefined {
  const headers = keptTraceHeaders(kept);
  if (!headers || addedMessageTrace(correlationId)) return undefined;
  const parent = extractTraceContext(headers);
  const span = startSpan(name, 'internal', parent, { links: linksToActiveSpan(), attributes });
  if (addMessageTrace(correlationId, contextWithSpan(span, parent))) return span;
  span.end();
  return undefined;
}

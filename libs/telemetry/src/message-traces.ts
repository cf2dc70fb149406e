import { AsyncLocalStorage } from 'node:async_hooks';
import { context, type Context } from '@opentelemetry/api';

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

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

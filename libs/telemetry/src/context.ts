import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and every outgoing message inherits from the message or request being handled. */
export interface MessageContext {
  correlationId: string;
  causationId?: string;
  idempotencyKey?: string;
}

const storage = new AsyncLocalStorage<MessageContext>();

export function runWithContext<T>(ctx: MessageContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): MessageContext | undefined {
  return storage.getStore();
}

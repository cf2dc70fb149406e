import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';

/**
 * Database spans for the statements that matter to a case (a claim, a state transition, a case's batch apply), per
 * the OpenTelemetry database conventions: named `<db.operation.name> <db.collection.name>`, kind CLIENT, with
 * `db.system.name` = `postgresql`, `db.operation.name`, `db.collection.name`, `db.namespace` (the schema) when known
 * and `db.operation.batch.size` for a statement serving several cases. Never the SQL's parameter values.
 */
export interface DbOperation {
  /** What the statement does: `claim`, `transition`, `admit`, `lock`, `save`. */
  operation: string;
  /** The table it is about: `writeback_ledger`, `cases`. */
  collection: string;
  /** The schema, when the service has one of its own. */
  namespace?: string;
  /** How many cases (rows) the one statement served, when more than one may share it. */
  batchSize?: number;
  /** More attributes (`closeout.case_id`, …): never personal data or parameter values. */
  attributes?: Attributes;
}

function dbAttributes(op: DbOperation): Attributes {
  return {
    'db.system.name': 'postgresql',
    'db.operation.name': op.operation,
    'db.collection.name': op.collection,
    ...(op.namespace === undefined ? {} : { 'db.namespace': op.namespace }),
    ...(op.batchSize === undefined ? {} : { 'db.operation.batch.size': op.batchSize }),
    ...op.attributes,
  };
}

const tracer = () => trace.getTracer('closeout');

/** The error's SQLSTATE (`40001`) or class: never its message, which may quote values. */
function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  return error instanceof Error ? error.name : '_OTHER';
}

/** Runs one statement (`fn`) in a database span under the active context; a throw ends it as an error. */
export async function withDbSpan<T>(op: DbOperation, fn: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(`${op.operation} ${op.collection}`, {
    kind: SpanKind.CLIENT,
    attributes: dbAttributes(op),
  });
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (error) {
    span.setAttribute('error.type', errorTypeOf(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorTypeOf(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** When a statement ran: epoch milliseconds (`performance.timeOrigin + performance.now()` or `Date.now()`). */
export interface StatementTiming {
  startedAt: number;
  endedAt: number;
  /** The statement failed with this error. */
  error?: unknown;
}

/**
 * Records one statement that served several cases at once (a claim of many rows, a batch of transitions) as a span
 * in each case's trace: one span per case under `parent` (that case's context), all with the statement's timing.
 * No round trip and no wait: the spans are made after the statement, from its measured times.
 */
export function recordDbSpan(op: DbOperation, parent: Context, timing: StatementTiming): void {
  const span = tracer().startSpan(
    `${op.operation} ${op.collection}`,
    { kind: SpanKind.CLIENT, attributes: dbAttributes(op), startTime: timing.startedAt },
    parent,
  );
  if (timing.error !== undefined) {
    span.setAttribute('error.type', errorTypeOf(timing.error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorTypeOf(timing.error) });
  }
  span.end(timing.endedAt);
}

/** The active trace context, to keep for a statement that runs later on behalf of this work (a batched write). */
export function activeTraceContext(): Context {
  return context.active();
}

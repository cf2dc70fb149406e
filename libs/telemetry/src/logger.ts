import pino, { type Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import { redactText } from '@closeout/privacy';
import { currentContext } from './context';

/** Fields of a driver error that quote the values of a statement (pg: `detail`, `parameters`, `where`): dropped. */
const VALUE_FIELDS = new Set([
  'detail',
  'parameters',
  'where',
  'query',
  'params',
  'parameters',
  'driverError',
]);
const MAX_DEPTH = 6;
const MAX_STRING = 4000;

/** A copy of a log value with card numbers and contact points masked in every string, bounded in depth and size. */
export function redactLogValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string')
    return redactText(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactLogValue(v, depth + 1, seen));
  if (value instanceof Error) return serializeError(value, depth, seen);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (VALUE_FIELDS.has(k)) continue;
    out[k] = redactLogValue(v, depth + 1, seen);
  }
  return out;
}

/**
 * An error as a log line may carry it: type, code, masked message and stack, its cause; never the values a driver
 * quotes (`detail`, `parameters`, `where`).
 */
export function serializeError(err: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (!(err instanceof Error)) return redactLogValue(err, depth, seen);
  seen.add(err);
  const e = err as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { type: e.name, message: redactText(String(e.message)) };
  if (typeof e.stack === 'string') out['stack'] = redactText(e.stack);
  for (const key of ['code', 'status', 'statusCode', 'table', 'column', 'constraint', 'schema', 'routine']) {
    if (e[key] !== undefined && typeof e[key] !== 'object') out[key] = redactText(String(e[key]));
  }
  if (e.cause !== undefined && depth < MAX_DEPTH) out['cause'] = serializeError(e.cause, depth + 1, seen);
  return out;
}

let root: Logger | undefined;
let settings: { level: string; service: string | undefined } = { level: 'info', service: undefined };

/** Called once at boot with validated config; loggers created before keep the defaults. */
export function configureLogging(options: { level: string; service: string }): void {
  settings = options;
  root = undefined;
}

function rootLogger(): Logger {
  if (!root) root = buildRoot(fileDestination());
  return root;
}

/**
 * `LOG_FILE` sends every line to that file instead of stdout: a test run keeps each suite's logs beside it
 * (.devstack/test-logs) rather than in the test output. Synchronous, so the lines before a crash are kept.
 */
function fileDestination(): pino.DestinationStream | undefined {
  const file = process.env['LOG_FILE'];
  return file ? pino.destination({ dest: file, mkdir: true, sync: true }) : undefined;
}

function buildRoot(destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: settings.level,
    base: { service: settings.service },
    // Every line carries the case's correlation id and the active trace, so logs join traces.
    mixin() {
      const ctx = currentContext();
      const span = trace.getActiveSpan()?.spanContext();
      return {
        ...(ctx ? { correlationId: ctx.correlationId, causationId: ctx.causationId } : {}),
        ...(span ? { traceId: span.traceId, spanId: span.spanId } : {}),
      };
    },
    serializers: { err: (e: unknown) => serializeError(e), error: (e: unknown) => serializeError(e) },
    formatters: {
      // Every field of every line: card numbers and contact points masked, driver value fields dropped.
      log: (object) => redactLogValue(object) as Record<string, unknown>,
    },
    hooks: {
      // The message and its interpolation arguments, masked before pino formats them.
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<
          typeof method
        >;
        method.apply(this, masked);
      },
    },
    redact: {
      paths: ['*.password', '*.secret', '*.token', '*.authorization', 'headers.authorization'],
      remove: true,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export function createLogger(component: string): Logger {
  return rootLogger().child({ component });
}

/** A logger with the same masking writing to `destination`: for tests and tools. */
export function createLoggerTo(destination: pino.DestinationStream, component: string): Logger {
  const saved = root;
  root = undefined;
  const previous = settings;
  try {
    root = buildRoot(destination);
    return root.child({ component });
  } finally {
    root = saved;
    settings = previous;
  }
}

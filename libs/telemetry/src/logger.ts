import pino, { type Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import { currentContext } from './context';

let root: Logger | undefined;
let settings: { level: string; service: string | undefined } = { level: 'info', service: undefined };

/** Called once at boot with validated config; loggers created before keep the defaults. */
export function configureLogging(options: { level: string; service: string }): void {
  settings = options;
  root = undefined;
}

function rootLogger(): Logger {
  if (!root) {
    root = pino({
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
      redact: { paths: ['*.password', '*.secret', '*.token', '*.authorization', 'headers.authorization'], remove: true },
    });
  }
  return root;
}

export function createLogger(component: string): Logger {
  return rootLogger().child({ component });
}

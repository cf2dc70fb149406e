import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, SpanStatusCode } from '@opentelemetry/api';
import { runWithGrowableMessageTraces } from './message-traces';
import { contextWithSpan, extractTraceContext, startSpan } from './tracing';

/** Paths that get no span: probes and scrapes, many per minute and nothing of a case. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

type Req = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string; path?: string };

/**
 * Express middleware: every request (but /health and /metrics) in a SERVER span continuing the caller's
 * `traceparent`, active for everything that handles the request (the body parser's callbacks included), named
 * `<METHOD> <route>` once routed (`http.route` is the route template, never the path: paths carry ids and tokens),
 * with `http.request.method` and `http.response.status_code` (OTel HTTP conventions); 5xx ends it as an error. The
 * request runs in an empty scope of message traces (`runWithGrowableMessageTraces`).
 */
export function httpServerSpans() {
  return (req: Req, res: ServerResponse, next: () => void): void => {
    const path = req.path ?? (req.url ?? '/').split('?')[0]!;
    if (UNTRACED.test(path)) return next();
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const name of ['traceparent', 'tracestate']) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    const span = startSpan(method, 'server', extractTraceContext(headers), {
      attributes: { 'http.request.method': method },
    });
    const ctx = contextWithSpan(span);
    res.once('finish', () => {
      const route = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined;
      if (route) {
        span.setAttribute('http.route', route);
        span.updateName(`${method} ${route}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    res.once('close', () => {
      if (!res.writableFinished) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the answer' });
        span.end();
      }
    });
    // Listeners added later (the body parser's) run in the span's context too. A request that learns which case it
    // serves may continue that case's trace for what it writes (`addMessageTrace`).
    context.bind(ctx, req);
    context.with(ctx, () => runWithGrowableMessageTraces(next));
  };
}

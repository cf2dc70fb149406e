import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

let started = false;
let provider: BasicTracerProvider | undefined;
let processors: SpanProcessor[] = [];

/** Where finished spans go: OTLP/HTTP (production), a Zipkin server (the devstack), or nowhere. */
export type TraceExporterKind = 'otlp' | 'zipkin' | 'none';

export interface TelemetryOptions {
  serviceName: string;
  /**
   * False switches tracing off entirely: no SDK, no context propagation, no trace headers on messages (what the
   * end-to-end bench compares against). Default true.
   */
  enabled?: boolean;
  /** Default: `otlp` when `otlpEndpoint` is given, else `none` (spans are created and propagated, not exported). */
  exporter?: TraceExporterKind;
  /** OTLP/HTTP endpoint for traces (`exporter: 'otlp'`). */
  otlpEndpoint?: string;
  /** Zipkin's span intake, e.g. http://127.0.0.1:9411/api/v2/spans (`exporter: 'zipkin'`). */
  zipkinEndpoint?: string;
}

/** The exporter `options` ask for; throws naming what is missing (the config validator checks the same first). */
export function traceExporterOf(options: TelemetryOptions): SpanExporter | undefined {
  const kind = options.exporter ?? (options.otlpEndpoint ? 'otlp' : 'none');
  switch (kind) {
    case 'none':
      return undefined;
    case 'otlp':
      if (!options.otlpEndpoint)
        throw new Error('the otlp trace exporter needs OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
      return new OTLPTraceExporter({ url: options.otlpEndpoint });
    case 'zipkin':
      if (!options.zipkinEndpoint) throw new Error('the zipkin trace exporter needs ZIPKIN_ENDPOINT');
      return new ZipkinExporter({ url: options.zipkinEndpoint, serviceName: options.serviceName });
  }
}

/**
 * Starts OpenTelemetry. Call it first in main.ts, before Nest or any client library is loaded,
 * so that context propagation is in place for everything that follows. Only traces are set up (metrics are
 * Prometheus', logs pino's): an AsyncLocalStorage context manager, the W3C trace-context propagator and, when there
 * is an exporter, a tracer provider batching spans to it. Without an exporter no tracer provider is registered, yet
 * trace context is still propagated.
 *
 * The pieces are registered directly rather than through `@opentelemetry/sdk-node`'s NodeSDK: that package loads
 * every OTLP exporter (gRPC, protobuf, HTTP, for traces, metrics and logs) and a configuration-file validator
 * whether used or not, about 1,800 modules and 25 MB of heap per service for what these few lines do.
 */
export function initTelemetry(options: TelemetryOptions): void {
  if (started || options.enabled === false) return;
  const exporter = traceExporterOf(options);
  // Sized for a service handling thousands of messages a second: a span waits at most a second to be sent, and
  // a burst is queued rather than dropped.
  processors = exporter
    ? [
        new BatchSpanProcessor(exporter, {
          maxQueueSize: 16_384,
          maxExportBatchSize: 1_024,
          scheduledDelayMillis: 1_000,
        }),
      ]
    : [];
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (processors.length > 0) {
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
      spanProcessors: processors,
    });
    trace.setGlobalTracerProvider(provider);
  }
  started = true;
}

/** The tracing variables of a service's validated config (libs/config's base schema). */
export interface TracingConfig {
  SERVICE_NAME: string;
  OTEL_SDK_DISABLED: boolean;
  OTEL_TRACES_EXPORTER?: TraceExporterKind | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  ZIPKIN_ENDPOINT?: string | undefined;
}

/** `initTelemetry` from a service's validated config. */
export function initTelemetryFrom(config: TracingConfig): void {
  initTelemetry({
    serviceName: config.SERVICE_NAME,
    enabled: !config.OTEL_SDK_DISABLED,
    ...(config.OTEL_TRACES_EXPORTER ? { exporter: config.OTEL_TRACES_EXPORTER } : {}),
    ...(config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT }
      : {}),
    ...(config.ZIPKIN_ENDPOINT ? { zipkinEndpoint: config.ZIPKIN_ENDPOINT } : {}),
  });
}

/** Sends every finished span now (tests and a main job wait for this before reading a trace back). */
export async function flushTelemetry(): Promise<void> {
  await Promise.all(processors.map((p) => p.forceFlush()));
}

/** Sends what is queued, then unregisters everything `initTelemetry` registered (it may be called again after). */
export async function shutdownTelemetry(): Promise<void> {
  if (!started) return;
  await provider?.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
  provider = undefined;
  processors = [];
  started = false;
}

const tracer = () => trace.getTracer('closeout');

/** Writes the W3C `traceparent` (and `tracestate`) of the active span, or of `ctx`, into `headers`. */
export function injectTraceHeaders(
  headers: Record<string, string>,
  ctx: Context = context.active(),
): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

export function extractTraceContext(headers: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** The W3C trace context of `ctx` (the active one by default) as the two header values, absent when there is none. */
export function traceContextOf(ctx: Context = context.active()): {
  traceparent?: string;
  tracestate?: string;
} {
  const headers = injectTraceHeaders({}, ctx);
  return {
    ...(headers['traceparent'] ? { traceparent: headers['traceparent'] } : {}),
    ...(headers['tracestate'] ? { tracestate: headers['tracestate'] } : {}),
  };
}

export type SpanKindName = 'consumer' | 'producer' | 'internal' | 'client' | 'server';

const spanKinds: Record<SpanKindName, SpanKind> = {
  consumer: SpanKind.CONSUMER,
  producer: SpanKind.PRODUCER,
  internal: SpanKind.INTERNAL,
  client: SpanKind.CLIENT,
  server: SpanKind.SERVER,
};

export interface SpanOptions {
  attributes?: Attributes;
  links?: Link[];
}

/** Starts a span under `parent` (the active context by default) without making it active; the caller ends it. */
export function startSpan(
  name: string,
  kind: SpanKindName,
  parent?: Context,
  options: SpanOptions = {},
): Span {
  return tracer().startSpan(
    name,
    { kind: spanKinds[kind], attributes: options.attributes, links: options.links },
    parent ?? context.active(),
  );
}

/** A link to the active span, for a span that continues another trace; none when no span is active. */
export function linksToActiveSpan(): Link[] {
  const active = trace.getSpanContext(context.active());
  return active && trace.isSpanContextValid(active) ? [{ context: active }] : [];
}

/** Ends `span` with an error status naming the error's class and message. */
export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** Runs `fn` with `ctx` (a message's context, holding its span) as the active trace context. */
export function withTraceContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** The context `span` is active in, under the active one. */
export function contextWithSpan(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

/**
 * Runs `fn` in a span that continues the trace carried by `headers` (a Kafka hop or an HTTP call),
 * ending it with an error status when `fn` throws.
 */
export async function withSpan<T>(
  name: string,
  kind: SpanKindName,
  headers: Record<string, string | undefined> | undefined,
  fn: (span: Span) => Promise<T>,
  options: SpanOptions = {},
): Promise<T> {
  const parent = headers ? extractTraceContext(headers) : context.active();
  return tracer().startActiveSpan(
    name,
    { kind: spanKinds[kind], attributes: options.attributes, links: options.links },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        failSpan(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

export type { Span };
/** An OpenTelemetry context holding a span: what a message's work continues. */
export type TraceContext = Context;

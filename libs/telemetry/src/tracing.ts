import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

let sdk: NodeSDK | undefined;

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint for traces; without it spans are still created and propagated, just not exported. */
  otlpEndpoint?: string;
}

/**
 * Starts OpenTelemetry. Call it first in main.ts, before Nest or any client library is loaded,
 * so that context propagation is in place for everything that follows.
 */
export function initTelemetry(options: TelemetryOptions): void {
  if (sdk) return;
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    contextManager: new AsyncLocalStorageContextManager(),
    textMapPropagator: new W3CTraceContextPropagator(),
    ...(options.otlpEndpoint ? { traceExporter: new OTLPTraceExporter({ url: options.otlpEndpoint }) } : {}),
  });
  sdk.start();
}

export async function shutdownTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}

const tracer = () => trace.getTracer('closeout');

/** Writes the W3C `traceparent` (and `tracestate`) of the active span into message headers. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

export function extractTraceContext(headers: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/**
 * Runs `fn` in a span that continues the trace carried by `headers` (a Kafka hop or an HTTP call),
 * ending it with an error status when `fn` throws.
 */
export async function withSpan<T>(
  name: string,
  kind: 'consumer' | 'producer' | 'internal' | 'client' | 'server',
  headers: Record<string, string | undefined> | undefined,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = headers ? extractTraceContext(headers) : context.active();
  const spanKind = {
    consumer: SpanKind.CONSUMER,
    producer: SpanKind.PRODUCER,
    internal: SpanKind.INTERNAL,
    client: SpanKind.CLIENT,
    server: SpanKind.SERVER,
  }[kind];
  return tracer().startActiveSpan(name, { kind: spanKind }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

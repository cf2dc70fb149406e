/**
 * Tracing for tests, set up as `initTelemetry` sets it up in a service (AsyncLocalStorage context, W3C trace context
 * propagation), with the finished spans kept in memory to be read back instead of exported.
 *
 *   const spans = new InMemorySpanExporter();
 *   beforeAll(() => installTestTracing(spans));
 *   afterAll(uninstallTestTracing);
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** Installs the global context manager, propagator and a tracer whose spans go to `exporter`; returns it. */
export function installTestTracing(
  exporter: InMemorySpanExporter = new InMemorySpanExporter(),
): InMemorySpanExporter {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  return exporter;
}

/** Removes what `installTestTracing` installed. */
export function uninstallTestTracing(): void {
  trace.disable();
  propagation.disable();
  context.disable();
}

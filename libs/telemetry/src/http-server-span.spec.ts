import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import express, { json } from 'express';
import { httpServerSpans } from './http-server-span';
import { traceContextOf } from './tracing';

const exporter = new InMemorySpanExporter();

describe('httpServerSpans', () => {
  let server: Server;
  let base: string;
  let seen: string | undefined;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const app = express();
    app.use(httpServerSpans());
    app.use(json());
    // What the handler writes (an outbox row) takes the active context: after the body parser, still the request's.
    app.post('/v1/triggers/:id', (_req, res) => {
      seen = traceContextOf().traceparent;
      res.status(202).json({});
    });
    app.get('/health/live', (_req, res) => void res.json({ ok: true }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => {
    exporter.reset();
    seen = undefined;
  });

  it('answers a request in a server span continuing the caller’s trace, active in the handler after the body parser', async () => {
    const caller = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await fetch(`${base}/v1/triggers/secret-token-123`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: caller },
      body: JSON.stringify({ a: 1 }),
    });
    expect(res.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('POST /v1/triggers/:id');
    expect(span?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span?.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/v1/triggers/:id',
      'http.response.status_code': 202,
    });
    // The path's id never reaches the span.
    expect(JSON.stringify(span?.attributes)).not.toContain('secret-token-123');
    expect(seen?.split('-')[2]).toBe(span?.spanContext().spanId);
  });

  it('leaves probes untraced', async () => {
    await fetch(`${base}/health/live`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

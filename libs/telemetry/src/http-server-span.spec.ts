import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { context } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import express, { json } from 'express';
import { httpServerSpans } from './http-server-span';
import { addMessageTrace, messageTraceContext } from './message-traces';
import { extractTraceContext, traceContextOf } from './tracing';
import { installTestTracing, uninstallTestTracing } from './testing';

const exporter = new InMemorySpanExporter();

describe('httpServerSpans', () => {
  let server: Server;
  let base: string;
  let seen: string | undefined;
  let seenForCase: string | undefined;
  let added: boolean | undefined;
  const CASE_TRACE = '00-11111111111111111111111111111111-2222222222222222-01';

  beforeAll(async () => {
    installTestTracing(exporter);
    const app = express();
    app.use(httpServerSpans());
    app.use(json());
    // What the handler writes (an outbox row) takes the active context: after the body parser, still the request's.
    app.post('/v1/triggers/:id', (_req, res) => {
      seen = traceContextOf().traceparent;
      res.status(202).json({});
    });
    // A request that learns its case as it goes: what it writes for that case afterwards continues the case's trace.
    app.post('/s/act', async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // the session's read
      added = addMessageTrace('case-7', extractTraceContext({ traceparent: CASE_TRACE }));
      await new Promise((resolve) => setImmediate(resolve)); // the insert's parameters are built after another turn
      seenForCase = traceContextOf(messageTraceContext('case-7')).traceparent;
      seen = traceContextOf(messageTraceContext('case-8')).traceparent;
      res.status(303).end();
    });
    app.get('/health/live', (_req, res) => void res.json({ ok: true }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    uninstallTestTracing();
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

  it('lets a request continue the trace of the case it learns it serves, for that case only', async () => {
    const res = await fetch(`${base}/s/act`, { method: 'POST' });
    expect(res.status).toBe(303);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [span] = exporter.getFinishedSpans();
    expect(added).toBe(true);
    expect(seenForCase).toBe(CASE_TRACE);
    // Another correlation id keeps the request's own context.
    expect(seen?.split('-')[1]).toBe(span?.spanContext().traceId);
    expect(seen?.split('-')[2]).toBe(span?.spanContext().spanId);
    // Outside a request's scope nothing can be added.
    expect(addMessageTrace('case-7', context.active())).toBe(false);
  });

  it('leaves probes untraced', async () => {
    await fetch(`${base}/health/live`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

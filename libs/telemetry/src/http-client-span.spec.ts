import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import axios from 'axios';
import { httpClientSpan, safeUrl, traceAxios, withClientSpan } from './http-client-span';
import { startSpan, withTraceContext, contextWithSpan } from './tracing';
import { installTestTracing, uninstallTestTracing } from './testing';

const exporter = new InMemorySpanExporter();

/** What the server received: one entry per request. */
interface Received {
  url: string;
  traceparent: string | undefined;
  tracestate: string | undefined;
}

const parts = (traceparent: string | undefined) => {
  const [, traceId, parentSpanId] = (traceparent ?? '').split('-');
  return { traceId, parentSpanId };
};

function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('outgoing HTTP carries the trace context of its CLIENT span', () => {
  let server: Server;
  let base: string;
  let received: Received[];

  beforeAll(async () => {
    installTestTracing(exporter);
    server = createServer((req, res) => {
      const h: IncomingHttpHeaders = req.headers;
      received.push({
        url: req.url ?? '',
        traceparent: typeof h.traceparent === 'string' ? h.traceparent : undefined,
        tracestate: typeof h.tracestate === 'string' ? h.tracestate : undefined,
      });
      res.statusCode = req.url?.startsWith('/broken') ? 503 : 200;
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    uninstallTestTracing();
  });
  beforeEach(() => {
    received = [];
    exporter.reset();
  });

  /** Runs `fn` under an active span (a message's `process` span), returning that span's ids. */
  async function underMessageSpan(fn: () => Promise<unknown>): Promise<{ traceId: string; spanId: string }> {
    const span = startSpan('process case.state', 'consumer');
    await withTraceContext(contextWithSpan(span), fn);
    span.end();
    return span.spanContext();
  }

  const clientSpans = (): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);

  it('node:http: the server receives the active trace with the CLIENT span as parent', async () => {
    const active = await underMessageSpan(() =>
      httpClientSpan(
        {
          method: 'get',
          url: `${base}/v1/cases/case-1/eligible-actions?token=secret`,
          urlTemplate: '/v1/cases/{caseId}/eligible-actions',
        },
        (headers) => get(`${base}/v1/cases/case-1/eligible-actions?token=secret`, headers),
        (status) => status,
      ),
    );

    const [client] = clientSpans();
    expect(received).toHaveLength(1);
    expect(parts(received[0]?.traceparent)).toEqual({
      traceId: active.traceId,
      parentSpanId: client?.spanContext().spanId,
    });
    expect(client?.parentSpanContext?.spanId).toBe(active.spanId);
    expect(client?.name).toBe('GET /v1/cases/{caseId}/eligible-actions');
    expect(client?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': `${base}/v1/cases/{caseId}/eligible-actions`,
      'url.template': '/v1/cases/{caseId}/eligible-actions',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'http.response.status_code': 200,
    });
    expect(client?.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('axios: each request in its own CLIENT span; a 5xx ends it as an error; no query string is recorded', async () => {
    const http = traceAxios(axios.create({ baseURL: base, validateStatus: () => true }));

    const active = await underMessageSpan(async () => {
      await http.get('/ok', { params: { idempotency_key: 'key-1' } });
      await http.post('/broken', '{}');
    });

    const spans = clientSpans();
    expect(spans.map((s) => s.name)).toEqual(['GET', 'POST']);
    expect(received.map((r) => parts(r.traceparent))).toEqual(
      spans.map((s) => ({ traceId: active.traceId, parentSpanId: s.spanContext().spanId })),
    );
    expect(spans[0]?.attributes['url.full']).toBe(`${base}/ok`);
    expect(spans[0]?.attributes['http.response.status_code']).toBe(200);
    expect(spans[1]?.attributes['http.response.status_code']).toBe(503);
    expect(spans[1]?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('inside withClientSpan, requests carry that span and open none of their own', async () => {
    const http = traceAxios(axios.create({ baseURL: base, validateStatus: () => true }));
    let callSpanId: string | undefined;

    const active = await underMessageSpan(() =>
      withClientSpan('REST lookup payment.post', async (span) => {
        callSpanId = span.spanContext().spanId;
        await http.get('/by-ref');
        await http.get('/by-key');
      }),
    );

    expect(clientSpans().map((s) => s.name)).toEqual(['REST lookup payment.post']);
    expect(received.map((r) => parts(r.traceparent))).toEqual([
      { traceId: active.traceId, parentSpanId: callSpanId },
      { traceId: active.traceId, parentSpanId: callSpanId },
    ]);
    expect(clientSpans()[0]?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${base}/by-key`,
      'http.response.status_code': 200,
    });
  });

  it('a request that gets no answer ends its span as an error naming the error code, and rethrows', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1/x`;
    await new Promise((resolve) => closed.close(resolve));

    await expect(httpClientSpan({ method: 'POST', url }, (headers) => get(url, headers))).rejects.toThrow();

    const [client] = clientSpans();
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
    expect(client?.attributes['error.type']).toBe('ECONNREFUSED');
  });

  it('url.full keeps the origin and path only', () => {
    expect(safeUrl('https://user:pw@core.example:8443/api/p?idempotency_key=k#f')?.href).toBe(
      'https://core.example:8443/api/p',
    );
    expect(safeUrl('not a url')).toBeUndefined();
  });
});

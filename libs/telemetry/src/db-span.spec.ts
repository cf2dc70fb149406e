import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { recordDbSpan, withDbSpan } from './db-span';
import { contextWithSpan, startSpan } from './tracing';
import { installTestTracing, uninstallTestTracing } from './testing';

const exporter = new InMemorySpanExporter();

describe('database spans', () => {
  beforeAll(() => {
    installTestTracing(exporter);
  });
  afterAll(() => {
    uninstallTestTracing();
  });
  beforeEach(() => exporter.reset());

  it('withDbSpan: a CLIENT span under the active one, active while the statement runs, an error naming the SQLSTATE only', async () => {
    const message = startSpan('process case.state', 'consumer');
    let inside: string | undefined;
    await context.with(contextWithSpan(message), async () => {
      await withDbSpan(
        { operation: 'save', collection: 'cases', attributes: { 'closeout.case_id': 'c-1' } },
        () => {
          inside = trace.getActiveSpan()?.spanContext().spanId;
          return Promise.resolve();
        },
      );
      await expect(
        withDbSpan({ operation: 'lock', collection: 'cases' }, () =>
          Promise.reject(Object.assign(new Error('value "4111 1111" violates'), { code: '40001' })),
        ),
      ).rejects.toThrow();
    });
    message.end();

    const [save, lock] = exporter.getFinishedSpans();
    expect(save?.name).toBe('save cases');
    expect(save?.kind).toBe(SpanKind.CLIENT);
    expect(save?.spanContext().spanId).toBe(inside);
    expect(save?.parentSpanContext?.spanId).toBe(message.spanContext().spanId);
    expect(save?.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.operation.name': 'save',
      'db.collection.name': 'cases',
      'closeout.case_id': 'c-1',
    });
    expect(lock?.status).toEqual({ code: SpanStatusCode.ERROR, message: '40001' });
    expect(lock?.attributes['error.type']).toBe('40001');
  });

  it("recordDbSpan: one statement for several cases, a span in each case's trace with the statement's timing", () => {
    const cases = [startSpan('writeback send', 'internal'), startSpan('writeback send', 'internal')];
    const timing = { startedAt: Date.now() - 5, endedAt: Date.now() };
    for (const c of cases) {
      recordDbSpan(
        { operation: 'claim', collection: 'writeback_ledger', namespace: 'writeback_rest', batchSize: 2 },
        contextWithSpan(c),
        timing,
      );
    }

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.spanContext().traceId, s.parentSpanContext?.spanId])).toEqual(
      cases.map((c) => [c.spanContext().traceId, c.spanContext().spanId]),
    );
    expect(spans[0]?.attributes).toMatchObject({
      'db.namespace': 'writeback_rest',
      'db.operation.batch.size': 2,
    });
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(Math.round(ms(spans[0]!.endTime) - ms(spans[0]!.startTime))).toBe(
      timing.endedAt - timing.startedAt,
    );
  });
});

import { context, SpanKind, trace, TraceFlags, type Context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import {
  initTelemetry,
  runWithMessageTraces,
  shutdownTelemetry,
  withTraceContext,
} from '@closeout/telemetry';
import { resultMessage } from '../worker/writeback-messages';
import { TransitionBatcher } from './transition-batcher';
import {
  aRequest,
  freshWritebackSchema,
  type FreshWritebackSchema,
} from '../../test-support/fresh-writeback-schema';
import { LedgerRepository } from './ledger.repository';

/**
 * A writeback is worked after its message is handled (another batch, another process, after a restart): the ledger
 * row keeps the trace context of the `writeback.requested` that admitted it, so the worker continues the case's trace.
 */
const traceIdOf = (traceparent: string | null): string | undefined => traceparent?.split('-')[1];

function messageContext(traceId: string): Context {
  return trace.setSpanContext(context.active(), {
    traceId,
    spanId: traceId.slice(0, 16),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

describe('the ledger keeps the trace context of the message that admitted each row (real PostgreSQL)', () => {
  let db: FreshWritebackSchema;
  let ledger: LedgerRepository;

  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    // The W3C propagator, as every service has it; spans are kept in memory to be read back.
    initTelemetry({ serviceName: 'ledger-trace-it', exporter: 'none' });
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  });
  afterAll(async () => {
    trace.disable();
    await shutdownTelemetry();
  });
  beforeEach(async () => {
    exporter.reset();
    db = await freshWritebackSchema({ poolSize: 4 });
    ledger = new LedgerRepository(db.dataSource);
  });
  afterEach(async () => {
    await db.drop();
  });

  it("two cases admitted in one batch statement keep their own message's trace, and the claim hands it to the worker", async () => {
    const first = aRequest();
    const second = aRequest();
    const traces = new Map([
      [first.correlationId, messageContext('a'.repeat(32))],
      [second.correlationId, messageContext('b'.repeat(32))],
    ]);

    const outcomes = await runWithMessageTraces(traces, () =>
      ledger.admitMany([
        { request: first, fingerprint: 'fp-1' },
        { request: second, fingerprint: 'fp-2' },
      ]),
    );

    expect(outcomes.map((o) => o.kind)).toEqual(['admitted', 'admitted']);
    expect(outcomes.map((o) => traceIdOf(o.row.traceparent))).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    const claimed = await ledger.claimDue('worker-1', 10, 30_000);
    const byCase = new Map(claimed.map((row) => [row.caseId, traceIdOf(row.traceparent)]));
    expect(byCase).toEqual(
      new Map([
        [first.caseId, 'a'.repeat(32)],
        [second.caseId, 'b'.repeat(32)],
      ]),
    );
  });

  it('a request admitted on its own keeps the active trace; one admitted with no trace has none', async () => {
    const traced = await withTraceContext(messageContext('c'.repeat(32)), () =>
      ledger.admit(aRequest(), 'fp-3'),
    );
    const untraced = await ledger.admit(aRequest(), 'fp-4');

    expect(traceIdOf(traced.row.traceparent)).toBe('c'.repeat(32));
    expect(untraced.row.traceparent).toBeNull();
    expect(untraced.row.tracestate).toBeNull();
  });

  const dbSpans = (name: string): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((span) => span.name === name);

  it("the batch admission and the claim are database spans in each case's own trace, one statement each", async () => {
    const first = aRequest();
    const second = aRequest();
    const traces = new Map([
      [first.correlationId, messageContext('d'.repeat(32))],
      [second.correlationId, messageContext('e'.repeat(32))],
    ]);
    await runWithMessageTraces(traces, () =>
      ledger.admitMany([
        { request: first, fingerprint: 'fp-5' },
        { request: second, fingerprint: 'fp-6' },
      ]),
    );
    await ledger.claimDue('worker-1', 10, 30_000);

    for (const name of ['admit writeback_ledger', 'claim writeback_ledger']) {
      const spans = dbSpans(name);
      expect(
        spans.map((span) => [span.attributes['closeout.case_id'], span.spanContext().traceId]).sort(),
      ).toEqual(
        [
          [first.caseId, 'd'.repeat(32)],
          [second.caseId, 'e'.repeat(32)],
        ].sort(),
      );
      for (const span of spans) {
        // The child of the message's span (its id is the trace id's first 16 characters here).
        expect(span.parentSpanContext?.spanId).toBe(span.spanContext().traceId.slice(0, 16));
        expect(span.kind).toBe(SpanKind.CLIENT);
        expect(span.attributes).toMatchObject({
          'db.system.name': 'postgresql',
          'db.operation.name': name.split(' ')[0],
          'db.collection.name': 'writeback_ledger',
          'db.namespace': db.schema,
          'db.operation.batch.size': 2,
        });
      }
    }
  });

  it("transitions batched into one statement each get a span, and each result message, in their own row's trace", async () => {
    const requests = [aRequest(), aRequest(), aRequest()];
    for (const [i, request] of requests.entries()) {
      await withTraceContext(messageContext(`${i + 1}`.repeat(32)), () => ledger.admit(request, `fp-t${i}`));
    }
    const claimed = await ledger.claimDue('worker-1', 10, 30_000);
    // One statement at a time: the first goes alone, the two submitted meanwhile share the next one.
    const batcher = new TransitionBatcher(ledger, { maxInFlight: 1 });
    const rowSpans = new Map<string, string>();
    await Promise.all(
      claimed.map((row) => {
        const span = trace
          .getTracer('test')
          .startSpan('writeback send', {}, messageContext(row.traceparent!.split('-')[1]!));
        rowSpans.set(row.caseId, `${span.spanContext().traceId}-${span.spanContext().spanId}`);
        return withTraceContext(trace.setSpan(context.active(), span), () =>
          batcher.submit(row.id, {
            from: ['IN_FLIGHT'],
            to: 'APPLIED',
            owner: 'worker-1',
            providerRef: `ref-${row.caseId}`,
            outbox: [
              resultMessage(row.request, {
                status: 'APPLIED',
                providerRef: `ref-${row.caseId}`,
                attempts: 1,
                now: Date.now(),
              }),
            ],
          }),
        ).finally(() => span.end());
      }),
    );

    const transitions = dbSpans('transition writeback_ledger');
    expect(transitions.map((span) => span.attributes['db.operation.batch.size']).sort()).toEqual([1, 2, 2]);
    expect(
      new Set(transitions.map((span) => `${span.spanContext().traceId}-${span.parentSpanContext?.spanId}`)),
    ).toEqual(new Set(rowSpans.values()));
    const outbox: Array<{ case_id: string; traceparent: string }> = await db.dataSource.query(
      `SELECT value ->> 'caseId' AS case_id, traceparent FROM "${db.schema}".outbox`,
    );
    expect(new Map(outbox.map((m) => [m.case_id, m.traceparent.split('-').slice(1, 3).join('-')]))).toEqual(
      rowSpans,
    );
  });
});

import { context, trace, TraceFlags, type Context } from '@opentelemetry/api';
import {
  initTelemetry,
  runWithMessageTraces,
  shutdownTelemetry,
  withTraceContext,
} from '@closeout/telemetry';
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

  beforeAll(() => {
    // The W3C propagator, as every service has it; spans are made and propagated, not exported.
    initTelemetry({ serviceName: 'ledger-trace-it', exporter: 'none' });
  });
  afterAll(async () => {
    await shutdownTelemetry();
  });
  beforeEach(async () => {
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
});

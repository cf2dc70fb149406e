import { register } from 'prom-client';
import { context, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { withTraceContext } from '@closeout/telemetry';
import { startRestCore, type RestCore } from '@closeout/simulators/rest-core';
import { defaultMappingRegistry, retryPolicyFor, type RetryPolicyConfig } from '@closeout/writeback-domain';
import {
  freshWritebackSchema,
  type FreshWritebackSchema,
  samplePaymentRequest,
} from '@closeout/writeback-core/testing';
import type { WritebackResult, AuditEvent, WritebackStatus } from '@closeout/contracts';
import {
  DestinationBreaker,
  LedgerRepository,
  WritebackIntake,
  WritebackMetrics,
  WritebackWorker,
} from '@closeout/writeback-core';
import { parseRestDestinations } from './rest-destination.config';
import { RestDestination } from './rest-destination';
import { installTestTracing, uninstallTestTracing } from '@closeout/telemetry/testing';

/**
 * The writeback core end to end without Kafka: intake → ledger → worker → RestDestination → the simulated REST
 * core, on a real PostgreSQL. The fault-and-crash harness adds Kafka and process kills on top of this.
 */

const FAST_POLICY: Partial<RetryPolicyConfig> = {
  baseDelayMs: 20,
  maxDelayMs: 200,
  unknownResolveDelayMs: 150,
  circuitOpenWaitMs: 300,
  // The simulated core's lookups read its own journal: a posting is visible the moment it is committed.
  lookupVisibilityMs: 0,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

interface Rig {
  db: FreshWritebackSchema;
  core: RestCore;
  ledger: LedgerRepository;
  worker: WritebackWorker;
  intake: WritebackIntake;
  breaker: DestinationBreaker;
  metrics: WritebackMetrics;
  destination: RestDestination;
  breakerChanges: string[];
  outbox(): Promise<Array<{ topic: string; value: WritebackResult | AuditEvent }>>;
  results(): Promise<WritebackResult[]>;
  audits(): Promise<AuditEvent[]>;
  statusCounts(): Promise<Partial<Record<WritebackStatus, number>>>;
  settled(n: number): Promise<void>;
  close(): Promise<void>;
}

async function rig(
  options: { policy?: Partial<RetryPolicyConfig>; honoursIdempotencyKey?: boolean } = {},
): Promise<Rig> {
  const db = await freshWritebackSchema({ poolSize: 20 });
  const core = await startRestCore();
  const ledger = new LedgerRepository(db.dataSource);
  const [settings] = parseRestDestinations([
    {
      name: 'core-banking-rest',
      baseUrl: core.url,
      auth: { type: 'bearer', token: 'test-token-0123456789' },
      apiVersions: ['2024-06-01', '2025-01-15'],
      timeouts: { connectMs: 500, requestMs: 400 },
      honoursIdempotencyKey: options.honoursIdempotencyKey ?? true,
    },
  ]);
  const destination = new RestDestination(settings!);
  const breakerChanges: string[] = [];
  const metrics = new WritebackMetrics();
  const breaker = new DestinationBreaker({
    destination: 'core-banking-rest',
    probe: () => destination.probe(),
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    probeIntervalMs: 400,
    onStateChange: (c) => {
      breakerChanges.push(c.to);
      if (c.to === 'closed') worker.wake();
    },
  });
  const policy = retryPolicyFor('core-banking-rest', {
    'core-banking-rest': {
      ...FAST_POLICY,
      destinationHonoursIdempotencyKey: options.honoursIdempotencyKey ?? true,
      ...options.policy,
    },
  });
  const worker: WritebackWorker = new WritebackWorker({
    service: 'writeback-rest',
    workerId: `test-worker-${process.pid}`,
    ledger,
    destinations: new Map([['core-banking-rest', { destination, breaker, policy }]]),
    mappings: defaultMappingRegistry,
    metrics,
    concurrency: 16,
    idlePollMs: 20,
    leaseMs: 5_000,
  });
  const intake = new WritebackIntake({
    service: 'writeback-rest',
    protocol: 'REST',
    destinations: new Set(['core-banking-rest']),
    ledger,
    mappings: defaultMappingRegistry,
    metrics,
    onAdmitted: () => worker.wake(),
  });
  const outbox = async () =>
    (await db.dataSource.query(`SELECT topic, value FROM "${db.schema}".outbox ORDER BY id`)) as Array<{
      topic: string;
      value: WritebackResult | AuditEvent;
    }>;
  const statusCounts = async () => {
    const rows: Array<{ status: WritebackStatus; n: number }> = await db.dataSource.query(
      `SELECT status, count(*)::int AS n FROM "${db.schema}".ledger GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };
  worker.start();
  return {
    db,
    core,
    ledger,
    worker,
    intake,
    breaker,
    metrics,
    destination,
    breakerChanges,
    outbox,
    results: async () =>
      (await outbox())
        .filter((m) => m.topic === 'writeback.result.v1')
        .map((m) => m.value as WritebackResult),
    audits: async () =>
      (await outbox()).filter((m) => m.topic === 'audit.event.v1').map((m) => m.value as AuditEvent),
    statusCounts,
    settled: (n) =>
      until(`${n} rows settled`, async () => {
        const counts = await statusCounts();
        return (counts.APPLIED ?? 0) + (counts.FAILED_PERMANENT ?? 0) === n;
      }),
    async close() {
      await worker.stop();
      breaker.shutdown();
      await destination.close();
      await core.close();
      await db.drop();
    },
  };
}

const counter = async (name: string, labels: Record<string, string>): Promise<number> => {
  const metric = await register.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
};

describe('writeback core against the simulated REST core (real PostgreSQL)', () => {
  let r: Rig;
  afterEach(async () => {
    await r.close();
  });

  it('applies each request once, with its result and audit event written with the transition', async () => {
    r = await rig();
    const requests = Array.from({ length: 20 }, (_, i) => samplePaymentRequest(1_000 + i));
    for (const request of requests) expect((await r.intake.handle(request)).kind).toBe('admitted');

    await r.settled(20);

    const journal = r.core.journal();
    expect(journal).toHaveLength(20);
    expect(new Set(journal.map((e) => e.idempotencyKey))).toEqual(
      new Set(requests.map((q) => q.idempotencyKey)),
    );
    expect(journal.every((e) => e.apiVersion === '2024-06-01')).toBe(true);
    const results = await r.results();
    expect(results).toHaveLength(20);
    for (const result of results) {
      const posting = journal.find((e) => e.idempotencyKey === result.idempotencyKey)!;
      expect(result).toMatchObject({
        status: 'APPLIED',
        providerRef: posting.transactionId,
        attempts: 1,
        duplicate: false,
      });
    }
    const audits = await r.audits();
    expect(audits.filter((a) => a.action === 'writeback.applied')).toHaveLength(20);
    expect(audits[0]).toMatchObject({
      actor: { type: 'SERVICE', id: 'writeback-rest' },
      outcome: 'SUCCESS',
      versions: { contract: '1', mapping: '1' },
      references: expect.objectContaining({
        idempotencyKey: expect.any(String),
        providerRef: expect.any(String),
      }),
    });
  });

  it('refuses the same key with a different payload as REJECTED_CONFLICT, audits it, and the core never sees it', async () => {
    r = await rig();
    const original = samplePaymentRequest(2_000, { amountMinor: 5_000 });
    const rival = { ...samplePaymentRequest(2_000, { amountMinor: 9_999, caseId: 'case-rival' }) };
    expect(rival.idempotencyKey).toBe(original.idempotencyKey);

    expect((await r.intake.handle(original)).kind).toBe('admitted');
    expect((await r.intake.handle(rival)).kind).toBe('conflict');
    await r.settled(1);
    // Redelivered after the original settled: still a conflict, still refused.
    expect((await r.intake.handle(rival)).kind).toBe('conflict');

    const journal = r.core.journal().filter((e) => e.idempotencyKey === original.idempotencyKey);
    expect(journal).toHaveLength(1);
    expect(journal[0]!.body).toMatchObject({ amount: { value_minor: 5_000 } });
    expect(r.core.stats().writes).toBe(1);

    const rejected = (await r.results()).filter((m) => m.status === 'REJECTED_CONFLICT');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected[0]).toMatchObject({
      caseId: 'case-rival',
      errorClass: 'CONFLICT',
      idempotencyKey: original.idempotencyKey,
    });
    const audit = (await r.audits()).find((a) => a.action === 'writeback.conflict_rejected');
    expect(audit).toMatchObject({
      outcome: 'DENIED',
      caseId: 'case-rival',
      reason: expect.stringContaining('different payload'),
      references: expect.objectContaining({ existingCaseId: original.caseId }),
    });
    expect((await r.ledger.findByKey('core-banking-rest', original.idempotencyKey))!.status).toBe('APPLIED');
  });

  it('lets exactly one of 100 concurrent deliveries of one request reach the core', async () => {
    r = await rig({ honoursIdempotencyKey: false });
    // The core ignores Idempotency-Key: only the ledger stands between 100 deliveries and 100 postings.
    r.core.setFaults({ mode: 'ignore_idempotency_key' });
    const request = samplePaymentRequest(3_000);
    const before = await counter('closeout_writeback_duplicates_prevented_total', {
      destination: 'core-banking-rest',
    });

    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        r.intake.handle({ ...request, eventId: `${request.eventId}-${i}` }),
      ),
    );
    await r.settled(1);
    await sleep(200);

    expect(outcomes.filter((o) => o.kind === 'admitted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'duplicate')).toHaveLength(99);
    expect(r.core.stats().writes).toBe(1);
    expect(r.core.journal()).toHaveLength(1);
    const after = await counter('closeout_writeback_duplicates_prevented_total', {
      destination: 'core-banking-rest',
    });
    expect(after - before).toBe(99);
  });

  it('republishes the stored result for a duplicate of a settled request, without calling the core', async () => {
    r = await rig();
    const request = samplePaymentRequest(3_500);
    await r.intake.handle(request);
    await r.settled(1);

    expect((await r.intake.handle({ ...request, eventId: 'redelivered' })).kind).toBe('duplicate');

    const results = await r.results();
    expect(results).toHaveLength(2);
    expect(results[1]).toMatchObject({
      status: 'APPLIED',
      duplicate: true,
      providerRef: results[0]!.providerRef,
    });
    expect(r.core.stats().writes).toBe(1);
  });

  it('opens the breaker when every call fails, stops calling while rows wait, and drains the backlog after one probe', async () => {
    r = await rig();
    r.core.setFaults({ mode: 'fail_all' });
    const requests = Array.from({ length: 30 }, (_, i) => samplePaymentRequest(4_000 + i));
    for (const request of requests) await r.intake.handle(request);

    await until('breaker open', async () => r.breaker.state === 'open');
    await sleep(100);
    const writesWhenOpen = r.core.stats().writes;
    await sleep(1_000); // more than two probe intervals: probes fail, writes must not
    expect(r.core.stats().writes).toBe(writesWhenOpen);
    expect(writesWhenOpen).toBeLessThan(30);
    const waiting = await r.statusCounts();
    expect((waiting.PENDING ?? 0) + (waiting.FAILED_RETRYABLE ?? 0)).toBe(30);
    const degraded = (await r.results()).filter((m) => m.destinationDegraded);
    expect(degraded.every((m) => m.status === 'FAILED_RETRYABLE' && m.errorClass === 'CIRCUIT_OPEN')).toBe(
      true,
    );

    r.core.clearFaults();
    await r.settled(30);

    expect(r.breakerChanges).toEqual(expect.arrayContaining(['open', 'half_open', 'closed']));
    expect(r.breakerChanges.at(-1)).toBe('closed');
    const journal = r.core.journal();
    expect(journal).toHaveLength(30);
    expect(r.core.stats().duplicatePostings.total).toBe(0);
    expect((await r.statusCounts()).APPLIED).toBe(30);
  });

  it('resolves an ambiguous send by lookup and never sends it again blind', async () => {
    r = await rig({ honoursIdempotencyKey: false });
    const request = samplePaymentRequest(5_000);
    r.core.setFaults(
      { mode: 'ignore_idempotency_key' },
      { mode: 'commit_then_timeout', count: 1, match: { idempotencyKey: request.idempotencyKey } },
    );
    await r.intake.handle(request);
    await r.settled(1);

    const row = (await r.ledger.findByKey('core-banking-rest', request.idempotencyKey))!;
    const attempts = await r.ledger.listAttempts(row.id);
    expect(attempts.map((a) => [a.kind, a.outcome, a.errorClass])).toEqual([
      ['send', 'UNKNOWN', 'AMBIGUOUS'],
      ['resolve', 'APPLIED', null],
    ]);
    expect(row.providerRef).toBe(r.core.journal()[0]!.transactionId);
    expect(r.core.journal()).toHaveLength(1);
    expect(r.core.stats().writes).toBe(1);
    const unknown = (await r.results()).find((m) => m.status === 'UNKNOWN');
    expect(unknown).toMatchObject({ errorClass: 'AMBIGUOUS' });
  });

  it('does not take an answer naming a reference another writeback holds: unknown, then resolved by lookup', async () => {
    r = await rig();
    const first = samplePaymentRequest(5_100);
    await r.intake.handle(first);
    await r.settled(1);
    const held = (await r.ledger.findByKey('core-banking-rest', first.idempotencyKey))!.providerRef!;
    // The next answer echoes its own key but names the first posting (a gateway's cache, a core mixing up sessions).
    const send = r.destination.send.bind(r.destination);
    jest
      .spyOn(r.destination, 'send')
      .mockImplementationOnce(async (command) => ({ ...(await send(command)), providerRef: held }));
    const second = samplePaymentRequest(5_200);
    await r.intake.handle(second);
    await r.settled(2);

    const row = (await r.ledger.findByKey('core-banking-rest', second.idempotencyKey))!;
    const attempts = await r.ledger.listAttempts(row.id);
    expect(attempts.map((a) => [a.kind, a.outcome, a.errorClass])).toEqual([
      ['send', 'UNKNOWN', 'AMBIGUOUS'],
      ['resolve', 'APPLIED', null],
    ]);
    expect(attempts[0]!.errorMessage).toContain('already holds');
    const posting = r.core.journal().find((e) => e.idempotencyKey === second.idempotencyKey)!;
    expect(row.providerRef).toBe(posting.transactionId);
    expect(row.providerRef).not.toBe(held);
    expect(r.core.journal()).toHaveLength(2);
  });

  it('resends only after the lookup confirmed the core has no record', async () => {
    r = await rig({ honoursIdempotencyKey: false });
    const request = samplePaymentRequest(5_500);
    r.core.setFaults({
      mode: 'connection_reset',
      count: 1,
      match: { idempotencyKey: request.idempotencyKey },
    });
    await r.intake.handle(request);
    await r.settled(1);

    const row = (await r.ledger.findByKey('core-banking-rest', request.idempotencyKey))!;
    expect((await r.ledger.listAttempts(row.id)).map((a) => [a.kind, a.outcome, a.providerCode])).toEqual([
      ['send', 'UNKNOWN', null],
      ['resolve', 'FAILED_RETRYABLE', 'not_found'],
      ['send', 'APPLIED', '201'],
    ]);
    expect(r.core.journal()).toHaveLength(1);
  });

  it('never retries a 4xx: the request ends FAILED_PERMANENT after one call, routed to correction', async () => {
    r = await rig();
    const request = samplePaymentRequest(6_000);
    r.core.setFaults({ mode: 'invalid_4xx', match: { idempotencyKey: request.idempotencyKey } });
    await r.intake.handle(request);
    await r.settled(1);
    await sleep(300);

    expect(r.core.stats().writes).toBe(1);
    expect(r.core.stats().invalidThenRetried.total).toBe(0);
    const [result] = await r.results();
    expect(result).toMatchObject({ status: 'FAILED_PERMANENT', errorClass: 'VALIDATION', attempts: 1 });
    const audit = (await r.audits()).find((a) => a.action === 'writeback.failed');
    expect(audit?.references).toMatchObject({ correctionRoute: 'validation' });
  });

  it('waits at least the Retry-After the core asked for', async () => {
    r = await rig();
    const request = samplePaymentRequest(7_000);
    r.core.setFaults({ mode: 'rate_limited', retryAfterSeconds: 1, count: 1 });
    const started = Date.now();
    await r.intake.handle(request);
    await r.settled(1);

    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(r.core.stats().retryAfterViolations.total).toBe(0);
    expect(r.core.stats().writes).toBe(2);
    const row = (await r.ledger.findByKey('core-banking-rest', request.idempotencyKey))!;
    expect(row).toMatchObject({ status: 'APPLIED', attempts: 2 });
  });

  it('refuses a request that breaks the contract before it reaches the ledger, naming the field and rule', async () => {
    r = await rig();
    const request = samplePaymentRequest(8_000, { payloadJson: JSON.stringify({ accountId: '4000123456' }) });
    const outcome = await r.intake.handle(request);

    expect(outcome.kind).toBe('rejected');
    const [result] = await r.results();
    expect(result).toMatchObject({
      status: 'FAILED_PERMANENT',
      errorClass: 'VALIDATION',
      caseId: request.caseId,
    });
    expect(result!.errorMessage).toMatch(/payload\.amount/);
    expect(await r.ledger.findByKey('core-banking-rest', request.idempotencyKey)).toBeNull();
    expect((await r.audits())[0]).toMatchObject({ action: 'writeback.rejected', outcome: 'DENIED' });
    expect(r.core.stats().writes).toBe(0);
  });

  it('picks up a send whose worker died mid-call as RESOLVE, and settles it without a duplicate', async () => {
    r = await rig({ honoursIdempotencyKey: false });
    r.core.setFaults({ mode: 'ignore_idempotency_key' });
    await r.worker.stop(); // a second worker plays the one that dies
    const request = samplePaymentRequest(9_000);
    await r.intake.handle(request);
    const [claimed] = await r.ledger.claimDue('worker-that-dies', 1, 300);
    // It got as far as posting, then died before recording anything.
    await r.destination.send({
      idempotencyKey: claimed!.idempotencyKey,
      correlationId: claimed!.correlationId,
      wire: defaultMappingRegistry.toWire(
        defaultMappingRegistry.get('core-banking-rest', 'payment.post', '1'),
        JSON.parse(request.payloadJson),
      ),
    });
    r.worker.start();
    await r.settled(1);

    const row = (await r.ledger.findByKey('core-banking-rest', request.idempotencyKey))!;
    expect(row.providerRef).toBe(r.core.journal()[0]!.transactionId);
    expect((await r.ledger.listAttempts(row.id)).map((a) => [a.kind, a.outcome])).toEqual([
      ['resolve', 'APPLIED'],
    ]);
    expect(r.core.journal()).toHaveLength(1);
  });

  describe('with tracing', () => {
    const exporter = new InMemorySpanExporter();
    beforeAll(() => {
      installTestTracing(exporter);
    });
    afterAll(() => {
      uninstallTestTracing();
    });

    it('sends each posting with the traceparent of its CLIENT span, in the trace of the message that admitted it', async () => {
      r = await rig();
      const traceIds = ['1'.repeat(32), '2'.repeat(32)];
      const requests = [samplePaymentRequest(7_001), samplePaymentRequest(7_002)];
      // Each request handled in its own message's span (the intake's `process writeback.requested`).
      for (const [i, request] of requests.entries()) {
        const message = trace.setSpanContext(context.active(), {
          traceId: traceIds[i]!,
          spanId: `${i + 1}`.repeat(16),
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        });
        expect((await withTraceContext(message, () => r.intake.handle(request))).kind).toBe('admitted');
      }
      await r.settled(2);

      // The calls to the core (the ledger's statements are CLIENT spans too, with db.* attributes).
      const calls = exporter
        .getFinishedSpans()
        .filter((s) => s.kind === SpanKind.CLIENT && s.attributes['db.system.name'] === undefined);
      for (const [i, request] of requests.entries()) {
        const posting = r.core.journal().find((e) => e.idempotencyKey === request.idempotencyKey)!;
        const [, traceId, parentSpanId] = (posting.traceparent ?? '').split('-');
        expect(traceId).toBe(traceIds[i]);
        const call = calls.find((s) => s.spanContext().spanId === parentSpanId);
        expect(call?.name).toBe('REST send payment.post');
        expect(call?.spanContext().traceId).toBe(traceIds[i]);
        expect(call?.attributes).toMatchObject({
          'closeout.idempotency_key': request.idempotencyKey,
          'http.request.method': 'POST',
          'url.full': `${r.core.url}/api/payments`,
          'http.response.status_code': 201,
        });
      }
      // One CLIENT span per call to the core: the HTTP request opened none of its own.
      expect(calls).toHaveLength(2);
    });
  });
});

import type { Protocol, WritebackStatus } from '@closeout/contracts';
import { startRestCore, type FaultRule as RestFault, type RestCore } from '@closeout/simulators/rest-core';
import { startSoapCore, type FaultRule as SoapFault, type SoapCore } from '@closeout/simulators/soap-core';
import { defaultMappingRegistry, retryPolicyFor, type RetryPolicyConfig } from '@closeout/writeback-domain';
import { freshWritebackSchema, samplePaymentRequest, type FreshWritebackSchema } from '../../testing';
import { DestinationBreaker } from '../breaker/destination-breaker';
import type { WritebackDestination } from '../destination/writeback-destination';
import { LedgerRepository } from '../ledger/ledger.repository';
import { parseRestDestinations, type RestDestinationConfigInput } from '../rest/rest-destination.config';
import { RestDestination } from '../rest/rest-destination';
import { parseSoapDestination } from '../soap/soap-destination.config';
import { SoapDestination } from '../soap/soap-destination';
import { WritebackIntake } from './writeback-intake';
import { WritebackMetrics } from './writeback-metrics';
import { WritebackWorker } from './writeback-worker';

/**
 * The writeback core against cores that lie, lag and repeat themselves — not only ones that fail cleanly. Each test
 * judges Closeout by the core's own journal: every key posted at most once, every APPLIED row carrying the reference
 * the core really gave that key, nothing the core applied reported as a permanent failure.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const FAST: Partial<RetryPolicyConfig> = {
  baseDelayMs: 20,
  maxDelayMs: 200,
  unknownResolveDelayMs: 150,
  circuitOpenWaitMs: 300,
  lookupVisibilityMs: 0,
};

/** One posting as the core's own journal holds it. */
interface CorePosting {
  idempotencyKey: string | null;
  providerRef: string;
}

interface LedgerView {
  idempotencyKey: string;
  status: WritebackStatus;
  providerRef: string | null;
  lastErrorClass: string | null;
  lastErrorMessage: string | null;
}

interface Rig {
  db: FreshWritebackSchema;
  ledger: LedgerRepository;
  destinationName: string;
  protocol: Protocol;
  submit(n: number, from: number): Promise<string[]>;
  rows(): Promise<LedgerView[]>;
  settled(n: number, timeoutMs?: number): Promise<void>;
  outboxSizes(): Promise<number[]>;
  close(): Promise<void>;
}

async function rig(
  destinationName: string,
  protocol: Protocol,
  destination: WritebackDestination,
  policy: Partial<RetryPolicyConfig>,
): Promise<Rig> {
  const db = await freshWritebackSchema({ poolSize: 10 });
  const ledger = new LedgerRepository(db.dataSource);
  const metrics = new WritebackMetrics();
  const breaker = new DestinationBreaker({
    destination: destinationName,
    probe: () => destination.probe(),
    // The faults here are the point of the test; the breaker stays out of the way.
    volumeThreshold: 10_000,
    errorThresholdPercentage: 99,
    probeIntervalMs: 200,
  });
  const worker = new WritebackWorker({
    service: `writeback-${protocol.toLowerCase()}`,
    workerId: `hostile-${process.pid}`,
    ledger,
    destinations: new Map([
      [
        destinationName,
        {
          destination,
          breaker,
          policy: retryPolicyFor(destinationName, { [destinationName]: { ...FAST, ...policy } }),
        },
      ],
    ]),
    mappings: defaultMappingRegistry,
    metrics,
    concurrency: 8,
    idlePollMs: 20,
    leaseMs: 10_000,
  });
  const intake = new WritebackIntake({
    service: `writeback-${protocol.toLowerCase()}`,
    protocol,
    destinations: new Set([destinationName]),
    ledger,
    mappings: defaultMappingRegistry,
    metrics,
    onAdmitted: () => worker.wake(),
  });
  const rows = async (): Promise<LedgerView[]> =>
    (
      (await db.dataSource.query(
        `SELECT idempotency_key, status, provider_ref, last_error_class, last_error_message
         FROM "${db.schema}".ledger ORDER BY id`,
      )) as Array<Record<string, string | null>>
    ).map((r) => ({
      idempotencyKey: r['idempotency_key']!,
      status: r['status'] as WritebackStatus,
      providerRef: r['provider_ref'] ?? null,
      lastErrorClass: r['last_error_class'] ?? null,
      lastErrorMessage: r['last_error_message'] ?? null,
    }));
  worker.start();
  return {
    db,
    ledger,
    destinationName,
    protocol,
    async submit(n, from) {
      const keys: string[] = [];
      for (let i = 0; i < n; i += 1) {
        const request = samplePaymentRequest(from + i, { destination: destinationName, protocol });
        expect((await intake.handle(request)).kind).toBe('admitted');
        keys.push(request.idempotencyKey);
      }
      return keys;
    },
    rows,
    async settled(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const settled = (await rows()).filter(
          (r) => r.status === 'APPLIED' || r.status === 'FAILED_PERMANENT',
        );
        if (settled.length === n) return;
        if (Date.now() > deadline) {
          const open = (await rows()).filter(
            (r) => r.status !== 'APPLIED' && r.status !== 'FAILED_PERMANENT',
          );
          throw new Error(
            `expected ${n} settled rows within ${timeoutMs} ms; still open: ${JSON.stringify(open.slice(0, 5))}`,
          );
        }
        await sleep(50);
      }
    },
    async outboxSizes() {
      const sizes = (await db.dataSource.query(
        `SELECT octet_length(value::text) + octet_length(headers::text) AS size FROM "${db.schema}".outbox`,
      )) as Array<{ size: number }>;
      return sizes.map((s) => Number(s.size));
    },
    async close() {
      await worker.stop();
      breaker.shutdown();
      await destination.close();
      await db.drop();
    },
  };
}

/**
 * The proof from the core's side: at most one posting per key, every APPLIED row carries the reference the core gave
 * its key, and no key the core posted is FAILED_PERMANENT.
 */
function expectTruthfulOutcomes(
  keys: readonly string[],
  rows: readonly LedgerView[],
  postings: readonly CorePosting[],
): void {
  const byKey = new Map<string, CorePosting[]>();
  for (const p of postings) {
    if (p.idempotencyKey !== null) byKey.set(p.idempotencyKey, [...(byKey.get(p.idempotencyKey) ?? []), p]);
  }
  const duplicates = keys.filter((k) => (byKey.get(k)?.length ?? 0) > 1);
  expect(duplicates).toEqual([]);
  for (const key of keys) {
    const row = rows.find((r) => r.idempotencyKey === key);
    const posted = byKey.get(key)?.[0];
    expect({ key, status: row?.status, providerRef: row?.providerRef }).toEqual({
      key,
      status: posted ? 'APPLIED' : 'FAILED_PERMANENT',
      providerRef: posted ? posted.providerRef : null,
    });
  }
}

describe('writeback core against hostile REST cores (real PostgreSQL)', () => {
  let core: RestCore;
  let r: Rig;
  afterEach(async () => {
    await r.close();
    await core.close();
  });

  async function restRig(
    faults: RestFault[],
    policy: Partial<RetryPolicyConfig>,
    destination: Partial<RestDestinationConfigInput> = {},
  ): Promise<Rig> {
    core = await startRestCore({ faults });
    const [settings] = parseRestDestinations([
      {
        name: 'core-banking-rest',
        baseUrl: core.url,
        auth: { type: 'bearer', token: 'hostile-token-0123456789' },
        apiVersions: ['2024-06-01', '2025-01-15'],
        timeouts: { connectMs: 500, requestMs: 400 },
        ...destination,
      },
    ]);
    return rig('core-banking-rest', 'REST', new RestDestination(settings!), policy);
  }

  const restPostings = (): CorePosting[] =>
    core.journal().map((e) => ({ idempotencyKey: e.idempotencyKey, providerRef: e.transactionId }));

  it('reads 409 "still in progress" as an unknown outcome, never a permanent failure, while the core takes longer than the timeout', async () => {
    // Every first write holds its key for 1.2 s (the timeout is 0.4 s); a re-send meanwhile is answered 409.
    r = await restRig([{ mode: 'in_progress', rate: 1, delayMs: 1_200 }], {
      destinationHonoursIdempotencyKey: true,
    });
    const keys = await r.submit(12, 100);
    await r.settled(12);
    expect(core.stats().writesByOutcome.in_progress).toBeGreaterThan(0);
    expectTruthfulOutcomes(keys, await r.rows(), restPostings());
  });

  it('does not believe an answer that carries another posting’s reference and key', async () => {
    r = await restRig([{ mode: 'foreign_answer', rate: 0.3 }], {});
    const keys = await r.submit(30, 200);
    await r.settled(30);
    expect(core.stats().faultsInjected.foreign_answer).toBeGreaterThan(0);
    expectTruthfulOutcomes(keys, await r.rows(), restPostings());
  });

  it('reads a refusal inside a 2xx as a validation failure after one call, with the core’s code and reason', async () => {
    r = await restRig([{ mode: 'reject_2xx', count: 1 }], {});
    const [key] = await r.submit(1, 300);
    await r.settled(1);
    const [row] = await r.rows();
    expect(row).toMatchObject({
      idempotencyKey: key,
      status: 'FAILED_PERMANENT',
      lastErrorClass: 'VALIDATION',
    });
    expect(row!.lastErrorMessage).toContain('insufficient_funds');
    expect(core.stats().writes).toBe(1);
    expect(core.journal()).toHaveLength(0);
  });

  it('never takes a lagging lookup’s "not found" as final within the read-visibility bound (core ignores keys)', async () => {
    r = await restRig(
      [
        { mode: 'ignore_idempotency_key' },
        { mode: 'lagging_lookup', delayMs: 1_000 },
        { mode: 'commit_then_timeout', rate: 0.5 },
      ],
      { lookupVisibilityMs: 1_600 },
      { honoursIdempotencyKey: false },
    );
    const keys = await r.submit(16, 400);
    await r.settled(16);
    expect(core.stats().faultsInjected.commit_then_timeout).toBeGreaterThan(0);
    expectTruthfulOutcomes(keys, await r.rows(), restPostings());
  });

  it('reads a gateway’s error page after the request left as unknown, not "nothing applied" (core ignores keys)', async () => {
    r = await restRig(
      [{ mode: 'ignore_idempotency_key' }, { mode: 'gateway_page', rate: 0.5 }],
      {},
      // Declared as the deployment would declare it; no de-duplication to lean on.
      { honoursIdempotencyKey: false },
    );
    const keys = await r.submit(16, 500);
    await r.settled(16);
    expect(core.stats().faultsInjected.gateway_page).toBeGreaterThan(0);
    expectTruthfulOutcomes(keys, await r.rows(), restPostings());
  });

  it('keeps a 5 MB error answer out of the ledger and the outbox, and settles every writeback', async () => {
    r = await restRig([{ mode: 'huge_error', count: 3, sizeBytes: 5 * 1024 * 1024 }], {
      destinationHonoursIdempotencyKey: true,
    });
    const keys = await r.submit(6, 600);
    await r.settled(6);
    expectTruthfulOutcomes(keys, await r.rows(), restPostings());
    expect(core.stats().faultsInjected.huge_error).toBe(3);
    const attempts = (await r.db.dataSource.query(
      `SELECT max(octet_length(coalesce(error_message, ''))) AS message, max(octet_length(coalesce(provider_code, ''))) AS code
       FROM "${r.db.schema}".ledger_attempt`,
    )) as Array<{ message: number; code: number }>;
    expect(Number(attempts[0]!.message)).toBeLessThanOrEqual(1_100);
    expect(Number(attempts[0]!.code)).toBeLessThanOrEqual(200);
    expect(Math.max(...(await r.outboxSizes()))).toBeLessThan(8 * 1024);
  });
});

describe('writeback core against hostile SOAP cores (real PostgreSQL)', () => {
  let core: SoapCore;
  let r: Rig;
  afterEach(async () => {
    await r.close();
    await core.close();
  });

  async function soapRig(
    faults: SoapFault[],
    policy: Partial<RetryPolicyConfig>,
    destination: { honoursIdempotencyKey?: boolean; confirmAnswersByLookup?: boolean } = {},
  ): Promise<Rig> {
    core = await startSoapCore({ faults });
    const settings = parseSoapDestination({
      name: 'core-banking-soap',
      wsdlUrl: core.wsdlUrl,
      endpoint: core.url,
      healthUrl: `${core.baseUrl}/health`,
      soapVersion: '1.1',
      wsdlVersion: 'CoreBankingService-2019.2',
      timeouts: { connectMs: 500, requestMs: 600 },
      ...destination,
    });
    return rig('core-banking-soap', 'SOAP', new SoapDestination(settings), {
      ...policy,
      ...(destination.confirmAnswersByLookup === undefined
        ? {}
        : { confirmAnswersByLookup: destination.confirmAnswersByLookup }),
    });
  }

  const soapPostings = (): CorePosting[] =>
    core.journal().map((e) => ({ idempotencyKey: e.idempotencyKey, providerRef: e.transactionRef }));

  it('confirms answers by query for a core whose answers carry another posting’s TransactionRef', async () => {
    r = await soapRig([{ mode: 'foreign_ref', rate: 0.3 }], {}, { confirmAnswersByLookup: true });
    const keys = await r.submit(20, 700);
    await r.settled(20);
    expect(core.stats().faultsInjected.foreign_ref).toBeGreaterThan(0);
    expectTruthfulOutcomes(keys, await r.rows(), soapPostings());
  });

  it('never takes a lagging QueryTransaction "not found" as final within the bound (core ignores keys)', async () => {
    r = await soapRig(
      [
        { mode: 'ignore_idempotency_key' },
        { mode: 'lagging_query', delayMs: 1_000 },
        { mode: 'commit_then_timeout', rate: 0.5 },
      ],
      { lookupVisibilityMs: 1_600 },
    );
    const keys = await r.submit(16, 800);
    await r.settled(16);
    expect(core.stats().faultsInjected.commit_then_timeout).toBeGreaterThan(0);
    expectTruthfulOutcomes(keys, await r.rows(), soapPostings());
  });

  it('reads an HTTP 502 page with no SOAP fault as unknown, so nothing is posted twice (core ignores keys)', async () => {
    r = await soapRig([{ mode: 'ignore_idempotency_key' }, { mode: 'gateway_page', rate: 0.5 }], {});
    const keys = await r.submit(16, 900);
    await r.settled(16);
    expect(core.stats().faultsInjected.gateway_page).toBeGreaterThan(0);
    expectTruthfulOutcomes(keys, await r.rows(), soapPostings());
  });

  it('reads Status REJECTED in a WriteResult as a validation failure after one call', async () => {
    r = await soapRig([{ mode: 'reject_status', count: 1 }], {});
    await r.submit(1, 1_000);
    await r.settled(1);
    const [row] = await r.rows();
    expect(row).toMatchObject({ status: 'FAILED_PERMANENT', lastErrorClass: 'VALIDATION' });
    expect(row!.lastErrorMessage).toContain('REJECTED');
    expect(core.journal()).toHaveLength(0);
  });
});

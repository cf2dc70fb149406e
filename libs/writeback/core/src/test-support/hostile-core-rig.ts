import type { Protocol, WritebackStatus } from '@closeout/contracts';
import { defaultMappingRegistry, retryPolicyFor, type RetryPolicyConfig } from '@closeout/writeback-domain';
import { DestinationBreaker } from '../lib/breaker/destination-breaker';
import type { WritebackDestination } from '../lib/destination/writeback-destination';
import { LedgerRepository } from '../lib/ledger/ledger.repository';
import { WritebackIntake } from '../lib/worker/writeback-intake';
import { WritebackMetrics } from '../lib/worker/writeback-metrics';
import { WritebackWorker } from '../lib/worker/writeback-worker';
import { freshWritebackSchema, type FreshWritebackSchema } from './fresh-writeback-schema';
import { sleep } from './polling';
import { samplePaymentRequest } from './sample-writeback-requests';

/**
 * The writeback core (intake, worker, breaker, ledger on a fresh schema) around one destination, for the protocol
 * adapters' hostile-core tests: cores that lie, lag and repeat themselves. Each test judges Closeout by the core's own
 * journal with `expectTruthfulOutcomes`.
 */

const FAST: Partial<RetryPolicyConfig> = {
  baseDelayMs: 20,
  maxDelayMs: 200,
  unknownResolveDelayMs: 150,
  circuitOpenWaitMs: 300,
  lookupVisibilityMs: 0,
};

/** One posting as the core's own journal holds it. */
export interface CorePosting {
  idempotencyKey: string | null;
  providerRef: string;
}

/** A ledger row as these tests judge it. */
export interface LedgerView {
  idempotencyKey: string;
  status: WritebackStatus;
  providerRef: string | null;
  lastErrorClass: string | null;
  lastErrorMessage: string | null;
}

export interface HostileCoreRig {
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

export async function hostileCoreRig(
  destinationName: string,
  protocol: Protocol,
  destination: WritebackDestination,
  policy: Partial<RetryPolicyConfig>,
): Promise<HostileCoreRig> {
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
      )) as Array<{
        idempotency_key: string;
        status: WritebackStatus;
        provider_ref: string | null;
        last_error_class: string | null;
        last_error_message: string | null;
      }>
    ).map((r) => ({
      idempotencyKey: r.idempotency_key,
      status: r.status,
      providerRef: r.provider_ref,
      lastErrorClass: r.last_error_class,
      lastErrorMessage: r.last_error_message,
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
export function expectTruthfulOutcomes(
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

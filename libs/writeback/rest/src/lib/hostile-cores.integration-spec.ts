import { startRestCore, type FaultRule as RestFault, type RestCore } from '@closeout/simulators/rest-core';
import type { RetryPolicyConfig } from '@closeout/writeback-domain';
import {
  expectTruthfulOutcomes,
  hostileCoreRig,
  type CorePosting,
  type HostileCoreRig,
} from '@closeout/writeback-core/testing';
import { parseRestDestinations, type RestDestinationConfigInput } from './rest-destination.config';
import { RestDestination } from './rest-destination';

/**
 * The writeback core against REST cores that lie, lag and repeat themselves — not only ones that fail cleanly. Each test
 * judges Closeout by the core's own journal: every key posted at most once, every APPLIED row carrying the reference
 * the core really gave that key, nothing the core applied reported as a permanent failure.
 */

describe('writeback core against hostile REST cores (real PostgreSQL)', () => {
  let core: RestCore;
  let r: HostileCoreRig;
  afterEach(async () => {
    await r.close();
    await core.close();
  });

  async function restRig(
    faults: RestFault[],
    policy: Partial<RetryPolicyConfig>,
    destination: Partial<RestDestinationConfigInput> = {},
  ): Promise<HostileCoreRig> {
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
    return hostileCoreRig('core-banking-rest', 'REST', new RestDestination(settings!), policy);
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

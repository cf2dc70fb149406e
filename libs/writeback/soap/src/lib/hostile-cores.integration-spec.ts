import { startSoapCore, type FaultRule as SoapFault, type SoapCore } from '@closeout/simulators/soap-core';
import type { RetryPolicyConfig } from '@closeout/writeback-domain';
import {
  expectTruthfulOutcomes,
  hostileCoreRig,
  type CorePosting,
  type HostileCoreRig,
} from '@closeout/writeback-core/testing';
import { parseSoapDestination } from './soap-destination.config';
import { SoapDestination } from './soap-destination';

/**
 * The writeback core against SOAP cores that lie, lag and repeat themselves — not only ones that fail cleanly. Each test
 * judges Closeout by the core's own journal: every key posted at most once, every APPLIED row carrying the reference
 * the core really gave that key, nothing the core applied reported as a permanent failure.
 */

describe('writeback core against hostile SOAP cores (real PostgreSQL)', () => {
  let core: SoapCore;
  let r: HostileCoreRig;
  afterEach(async () => {
    await r.close();
    await core.close();
  });

  async function soapRig(
    faults: SoapFault[],
    policy: Partial<RetryPolicyConfig>,
    destination: { honoursIdempotencyKey?: boolean; confirmAnswersByLookup?: boolean } = {},
  ): Promise<HostileCoreRig> {
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
    return hostileCoreRig('core-banking-soap', 'SOAP', new SoapDestination(settings), {
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

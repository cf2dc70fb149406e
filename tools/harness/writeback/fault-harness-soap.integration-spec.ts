import { expectExactlyOnce } from './exactly-once-expectations';
import { formatReport, runWritebackHarness } from './fault-harness';

/**
 * Exactly-once under faults and crashes through writeback-soap, at N = 1,000: a real writeback-soap process,
 * SIGKILLed and restarted twice, Kafka redeliveries and re-requests, and a SOAP core answering with vendor faults,
 * "status unknown" after posting, slow and dropped commits, throttling, and server-side retries that would
 * double-post without our IdempotencyKey header. By hand: tools/harness/writeback/main.ts --protocol SOAP --n 10000.
 */
describe('writeback-soap fault-and-crash harness (real Kafka, PostgreSQL, writeback-soap process)', () => {
  it('settles 1,000 writebacks with no duplicate, no loss, no blind re-send through 2 kills', async () => {
    const report = await runWritebackHarness({
      protocol: 'SOAP',
      n: 1_000,
      kills: 2,
      seed: 20_261_123,
      servicePort: 3107,
      log: () => undefined,
    });
    console.log(formatReport(report));

    expectExactlyOnce(report, { n: 1_000, kills: 2 });
    expect(report.core.postings).toBe(report.ledger['APPLIED']);
    expect(report.core.faultsInjected['vendor_ambiguous']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['server_retry']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['commit_then_timeout']).toBeGreaterThan(0);
    // The hostile ones fired too: foreign TransactionRefs, gateway pages, refusals in a WriteResult.
    expect(report.core.faultsInjected['foreign_ref']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['gateway_page']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['reject_status']).toBeGreaterThan(0);
    expect(report.unknowns.foundApplied).toBeGreaterThan(0);
  }, 600_000);
});

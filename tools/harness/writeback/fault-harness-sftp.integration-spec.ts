import { expectExactlyOnce } from './exactly-once-expectations';
import { formatReport, runWritebackHarness } from './fault-harness';

/**
 * Exactly-once through writeback-sftp at N = 1,000: a real writeback-sftp process uploading batches through the
 * devstack's sshd, SIGKILLed and restarted twice (cutting uploads and abandoning batches awaiting receipts), Kafka
 * redeliveries, and a batch core that rejects batches for a wrong checksum, stops part-way through a file, writes
 * receipts late or never, and fails records softly or hard — and a hostile one: receipts listing keys the batch
 * never had under made-up references, records listed twice with contradicting answers, receipts garbled or past the
 * read cap, batches it posts twice after its own crash. By hand: main.ts --protocol SFTP --n 10000.
 */
describe('writeback-sftp fault-and-crash harness (real Kafka, PostgreSQL, sshd, writeback-sftp process)', () => {
  it('settles 1,000 writebacks with no duplicate, no loss, no wrong outcome, no blind re-send through 2 kills and a hostile core', async () => {
    const report = await runWritebackHarness({
      protocol: 'SFTP',
      n: 1_000,
      kills: 2,
      seed: 20_261_124,
      servicePort: 3108,
      log: () => undefined,
    });
    console.log(formatReport(report));

    expectExactlyOnce(report, { n: 1_000, kills: 2 });
    // One posting per applied writeback, besides the ones the core made twice by its own crash (its report shows both).
    expect(report.core.postings - report.core.repostedByCore).toBe(report.ledger['APPLIED']);
    expect(report.core.faultsInjected['soft_fail']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['hard_fail']).toBeGreaterThan(0);
    expect(report.unknowns.resolvedByLookup).toBeGreaterThan(0);
    // The hostile receipts were there, and what could not be believed became unknowns resolved by lookup.
    expect(report.core.figures['foreign receipt records']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['reingest_after_crash']).toBeGreaterThan(0);
    expect(report.unknowns.byCause['RECEIPT_CONTRADICTION']).toBeGreaterThan(0);
    expect(report.unknowns.byCause['RECEIPT_UNREADABLE']).toBeGreaterThan(0);
  }, 600_000);
});

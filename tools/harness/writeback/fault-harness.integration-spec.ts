import { expectExactlyOnce } from './exactly-once-expectations';
import { formatReport, runWritebackHarness } from './fault-harness';

/**
 * Exactly-once under faults and crashes, at N = 2,000: a real writeback-rest process, SIGKILLed and restarted three
 * times, Kafka redeliveries and re-requests, a core that ignores Idempotency-Key and fails at a rate in every way it
 * can. The 20,000 run is the same harness by hand (tools/harness/writeback/main.ts --n 20000 --kills 10).
 */
describe('writeback-rest fault-and-crash harness (real Kafka, PostgreSQL, writeback-rest process)', () => {
  it('settles 2,000 writebacks with no duplicate, no loss, no blind re-send through 3 kills', async () => {
    const report = await runWritebackHarness({ n: 2_000, kills: 3, seed: 20_261_122, log: () => undefined });
    console.log(formatReport(report));

    expectExactlyOnce(report, { n: 2_000, kills: 3 });
    expect(report.core.postings).toBe(report.ledger['APPLIED']);
    // The faults really happened: the run proves nothing if the core behaved.
    expect(report.core.faultsInjected['commit_then_timeout']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['slow_commit']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['invalid_4xx']).toBeGreaterThan(0);
    expect(report.core.faultsInjected['rate_limited']).toBeGreaterThan(0);
    // …and so did the hostile ones: 409 in progress, other postings' answers, refusals in a 2xx, gateway pages.
    const silent = ['in_progress', 'foreign_answer', 'reject_2xx', 'gateway_page'].filter(
      (mode) => (report.core.faultsInjected[mode] ?? 0) === 0,
    );
    expect(silent).toEqual([]);
    expect(report.unknowns.foundApplied).toBeGreaterThan(0);
    expect(report.unknowns.confirmedAbsent).toBeGreaterThan(0);
  }, 600_000);
});

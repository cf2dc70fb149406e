import type { HarnessReport } from './fault-harness';

/**
 * What every fault-and-crash run must show, whatever the protocol: no violation, everything settled through the
 * planned kills, no duplicate posting, every request terminal (applied or failed for good), no blind re-send, no
 * re-send of a 4xx, no retry before the core's Retry-After, one terminal result per key and every rival rejected.
 */
export function expectExactlyOnce(report: HarnessReport, expected: { n: number; kills: number }): void {
  expect(report.violations).toEqual([]);
  expect(report.settled).toBe(true);
  expect(report.kills).toBe(expected.kills);
  expect(report.core.duplicatePostings).toBe(0);
  expect((report.ledger['APPLIED'] ?? 0) + (report.ledger['FAILED_PERMANENT'] ?? 0)).toBe(expected.n);
  expect(report.blindResends).toBe(0);
  expect(report.fourXX.retriedByPolicy).toBe(0);
  expect(report.core.retryAfterViolations).toBe(0);
  expect(report.results.keysWithTerminalResult).toBe(expected.n);
  expect(report.results.conflictsRejected).toBe(report.deliveries.conflictRivals);
}

import { percentile } from './percentile';
import { workflowFigures, writebackFigures, type WritebackSample } from './slo-figures';

describe('percentile (type 7, exact)', () => {
  it('interpolates between closest ranks like numpy', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95)).toBeCloseTo(95.5);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(() => percentile([1], 1.5)).toThrow(/p must be within/);
  });
});

describe('writebackFigures', () => {
  const now = 10_000_000;
  const s = (status: WritebackSample['status'], latency: number, resultAgo = 1000): WritebackSample => ({
    workflowId: 'wf',
    destination: 'core',
    status,
    requestedAt: now - resultAgo - latency,
    resultAt: now - resultAgo,
    appliedAt: status === 'APPLIED' ? now - resultAgo : null,
    errorClass: status === 'FAILED_PERMANENT' ? 'VALIDATION' : null,
  });

  it('computes success, latency percentiles, duplicates and error-class rates within the window only', () => {
    const samples = [s('APPLIED', 100), s('APPLIED', 200), s('APPLIED', 300), s('FAILED_PERMANENT', 0), s('UNKNOWN', 0), s('APPLIED', 50, 7_200_000)];
    const results = [
      { workflowId: 'wf', destination: 'core', occurredAt: now - 10, duplicate: false, errorClass: null },
      { workflowId: 'wf', destination: 'core', occurredAt: now - 10, duplicate: false, errorClass: 'VALIDATION' as const },
      { workflowId: 'wf', destination: 'core', occurredAt: now - 10, duplicate: true, errorClass: null },
    ];
    const [f] = writebackFigures(now, 3_600_000, samples, results);
    expect(f).toMatchObject({ settled: 4, applied: 3, successRate: 0.75, p50RequestedToAppliedMs: 200, duplicatesPrevented: 1 });
    expect(f!.p95RequestedToAppliedMs).toBeCloseTo(290);
    expect(f!.exceptionRateByErrorClass).toEqual({ VALIDATION: 0.5 });
  });

  it('computes completion percentiles and the straight-through rate per workflow', () => {
    const [w] = workflowFigures(1000, 1000, [
      { workflowId: 'wf', triggeredAt: 0, completedAt: 100, endedAt: 100, endState: 'COMPLETED', sawException: false },
      { workflowId: 'wf', triggeredAt: 0, completedAt: 300, endedAt: 200, endState: 'EXCEPTION', sawException: true },
    ]);
    expect(w).toMatchObject({ completed: 2, ended: 2, straightThrough: 1, p50TriggerToCompletedMs: 200, straightThroughRate: 0.5 });
  });

  it('divides the straight-through rate by every case that reached an end, not only the completed ones', () => {
    // 1,000 cases: 890 completed straight through, 110 did not complete (expired, declined, ineligible, in exception).
    const ended = (n: number, endState: 'COMPLETED' | 'EXPIRED' | 'EXCEPTION' | 'CLOSED', sawException: boolean) =>
      Array.from({ length: n }, () => ({
        workflowId: 'wf',
        triggeredAt: 0,
        completedAt: endState === 'COMPLETED' ? 500 : null,
        endedAt: 500,
        endState,
        sawException,
      }));
    const cases = [
      ...ended(890, 'COMPLETED', false),
      ...ended(40, 'EXPIRED', false),
      ...ended(30, 'EXCEPTION', true), // declined
      ...ended(20, 'EXCEPTION', true), // ineligible
      ...ended(15, 'EXCEPTION', true), // a failed writeback, still in the queue
      ...ended(5, 'CLOSED', false),
      // Still waiting for the customer: not an end, not counted.
      { workflowId: 'wf', triggeredAt: 0, completedAt: null, endedAt: null, endState: null, sawException: false },
    ];
    const [w] = workflowFigures(1000, 1000, cases);
    expect(w).toMatchObject({ completed: 890, ended: 1000, straightThrough: 890, straightThroughRate: 0.89 });
  });

  it('counts a case that went to the exception queue and completed later as ended once, not straight through', () => {
    const [w] = workflowFigures(10_000, 10_000, [
      { workflowId: 'wf', triggeredAt: 0, completedAt: 9000, endedAt: 1000, endState: 'EXCEPTION', sawException: true },
    ]);
    expect(w).toMatchObject({ completed: 1, ended: 1, straightThrough: 0, straightThroughRate: 0 });
  });

  it('has no straight-through rate for a workflow with no case ended in the window', () => {
    const [w] = workflowFigures(10_000, 1000, [
      { workflowId: 'wf', triggeredAt: 0, completedAt: 9500, endedAt: 100, endState: 'EXCEPTION', sawException: true },
    ]);
    expect(w).toMatchObject({ completed: 1, ended: 0, straightThroughRate: null });
  });
});

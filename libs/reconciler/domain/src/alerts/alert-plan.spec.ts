import type { WritebackFigures } from '../slo/slo-figures';
import { agingUnknowns, planAlerts, sloAlertKey, sloBreaches } from './alert-plan';

const figures = (successRate: number, settled: number, workflowId = 'wf'): WritebackFigures => ({
  workflowId,
  destination: 'core',
  settled,
  applied: Math.round(successRate * settled),
  successRate,
  p50RequestedToAppliedMs: null,
  p95RequestedToAppliedMs: null,
  duplicatesPrevented: 0,
  exceptionRateByErrorClass: {},
});
const targets = { defaultSuccessTarget: 0.995, perWorkflow: { lenient: 0.5 }, minSample: 20 };

describe('alert conditions', () => {
  it('breach only below target with the minimum sample, per-workflow targets first', () => {
    expect(sloBreaches([figures(0.9, 19)], targets)).toEqual([]);
    expect(sloBreaches([figures(0.9, 20)], targets).map((c) => c.key)).toEqual([sloAlertKey('wf', 'core')]);
    expect(sloBreaches([figures(0.9, 100, 'lenient')], targets)).toEqual([]);
    expect(sloBreaches([figures(0.995, 100)], targets)).toEqual([]);
  });

  it('age unknowns per destination against the threshold', () => {
    expect(agingUnknowns(new Map([['a', 10], ['b', 1000]]), 500).map((c) => c.key)).toEqual(['unknown-age:b']);
  });
});

describe('planAlerts (the state machine)', () => {
  it('raises once, holds while the condition holds, and clears when it stops', () => {
    const condition = { key: 'unknown-age:b', kind: 'UNKNOWN_AGE' as const, context: {} };
    let open = new Set<string>();
    const first = planAlerts(open, [condition, condition]);
    expect(first).toEqual({ raise: [condition], clear: [] });
    open = new Set(['unknown-age:b']);
    expect(planAlerts(open, [condition])).toEqual({ raise: [], clear: [] });
    expect(planAlerts(open, [])).toEqual({ raise: [], clear: ['unknown-age:b'] });
  });
});

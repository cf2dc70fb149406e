import { Counter, register } from 'prom-client';
import type { CaseEndState } from '@closeout/reconciler-domain';

const name = 'closeout_reconciler_cases_ended_total';

/**
 * Cases that reached an end for the first time, per workflow, end state (COMPLETED, EXPIRED, CLOSED, EXCEPTION) and
 * whether straight through (first end COMPLETED, never in EXCEPTION): the straight-through SLO's denominator and
 * numerator (deploy/prometheus/rules/closeout-slo.rules.yml). Counted from case.state.v1 when the case view records
 * the case's first end; labels are bounded (workflow ids from the definitions, four states, two flags), never a case.
 */
const casesEnded =
  (register.getSingleMetric(name) as Counter<'workflow' | 'end_state' | 'straight_through'> | undefined) ??
  new Counter({
    name,
    help: 'Cases that first reached an end (COMPLETED, EXPIRED, CLOSED, EXCEPTION), by workflow, end state and straight_through',
    labelNames: ['workflow', 'end_state', 'straight_through'],
  });

export function countCaseEnd(end: { workflowId: string; endState: CaseEndState; straightThrough: boolean }): void {
  casesEnded.inc({ workflow: end.workflowId, end_state: end.endState, straight_through: String(end.straightThrough) });
}

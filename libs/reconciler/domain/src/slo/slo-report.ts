import type { BreakKind } from '../breaks/break-kinds';
import type { WorkflowFigures, WritebackFigures } from './slo-figures';

/**
 * The reconciler's SLO report, as `GET /v1/slo` answers it: the figures per window, the open breaks and what the
 * posted-twice breaks ask to reverse. The reconciler computes it; the ops console reads it.
 */
export interface SloReport {
  computedAt: string;
  windows: Array<{ window: string; writebacks: WritebackFigures[]; workflows: WorkflowFigures[] }>;
  backlog: Array<{ destination: string; openBreaks: number; oldestAgeMs: number }>;
  /** Open breaks per destination and kind: what an operator alerts on (POSTED_TWICE > 0 is money to return). */
  openBreaks: Array<{ destination: string; kind: BreakKind; count: number }>;
  /** What the open POSTED_TWICE breaks ask to reverse, per destination and currency. */
  toReverse: Array<{ destination: string; currency: string | null; amountMinor: number; postings: number }>;
}

import type { WritebackErrorClass, WritebackStatus } from '@closeout/contracts';
import { percentile } from './percentile';

/** One writeback's outcome as the SLO maths needs it. */
export interface WritebackSample {
  workflowId: string;
  destination: string;
  status: WritebackStatus;
  requestedAt: number | null;
  /** When the latest result was published. */
  resultAt: number;
  appliedAt: number | null;
  errorClass: WritebackErrorClass | null;
}

/** One writeback.result as published (duplicates included). */
export interface ResultSample {
  workflowId: string;
  destination: string;
  occurredAt: number;
  duplicate: boolean;
  errorClass: WritebackErrorClass | null;
}

export interface CaseSample {
  workflowId: string;
  triggeredAt: number | null;
  completedAt: number;
  /** The case passed through EXCEPTION before completing. */
  sawException: boolean;
}

export interface WritebackFigures {
  workflowId: string;
  destination: string;
  /** Writebacks whose latest result is terminal (APPLIED, FAILED_PERMANENT, REJECTED_CONFLICT) in the window. */
  settled: number;
  applied: number;
  /** applied / settled; null without samples. */
  successRate: number | null;
  p50RequestedToAppliedMs: number | null;
  p95RequestedToAppliedMs: number | null;
  /** writeback.result with duplicate=true: a repeated request answered from the ledger, nothing re-sent. */
  duplicatesPrevented: number;
  /** Share of (non-duplicate) results in the window carrying each error class. */
  exceptionRateByErrorClass: Partial<Record<WritebackErrorClass, number>>;
}

export interface WorkflowFigures {
  workflowId: string;
  completed: number;
  p50TriggerToCompletedMs: number | null;
  p95TriggerToCompletedMs: number | null;
  /** Completed without passing through EXCEPTION; null without completions. */
  straightThroughRate: number | null;
}

const SETTLED: ReadonlySet<WritebackStatus> = new Set(['APPLIED', 'FAILED_PERMANENT', 'REJECTED_CONFLICT']);

const groupBy = <T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

const inWindow = (t: number, now: number, windowMs: number): boolean => t > now - windowMs && t <= now;

/** Writeback figures per (workflow, destination) over the window ending at `now`. */
export function writebackFigures(
  now: number,
  windowMs: number,
  writebacks: readonly WritebackSample[],
  results: readonly ResultSample[],
): WritebackFigures[] {
  const pair = (w: { workflowId: string; destination: string }) => `${w.workflowId}\u0000${w.destination}`;
  const samples = groupBy(
    writebacks.filter((w) => inWindow(w.resultAt, now, windowMs)),
    pair,
  );
  const published = groupBy(
    results.filter((r) => inWindow(r.occurredAt, now, windowMs)),
    pair,
  );
  const keys = new Set([...samples.keys(), ...published.keys()]);
  return [...keys].sort().map((k) => {
    const [workflowId, destination] = k.split('\u0000') as [string, string];
    const mine = samples.get(k) ?? [];
    const settled = mine.filter((w) => SETTLED.has(w.status));
    const applied = settled.filter((w) => w.status === 'APPLIED');
    const latencies = applied
      .filter((w) => w.requestedAt !== null && w.appliedAt !== null)
      .map((w) => Math.max(0, w.appliedAt! - w.requestedAt!));
    const res = published.get(k) ?? [];
    const originals = res.filter((r) => !r.duplicate);
    const byClass: Partial<Record<WritebackErrorClass, number>> = {};
    for (const [errorClass, list] of groupBy(
      originals.filter((r) => r.errorClass !== null),
      (r) => r.errorClass!,
    )) {
      byClass[errorClass as WritebackErrorClass] = list.length / originals.length;
    }
    return {
      workflowId,
      destination,
      settled: settled.length,
      applied: applied.length,
      successRate: settled.length === 0 ? null : applied.length / settled.length,
      p50RequestedToAppliedMs: percentile(latencies, 0.5),
      p95RequestedToAppliedMs: percentile(latencies, 0.95),
      duplicatesPrevented: res.length - originals.length,
      exceptionRateByErrorClass: byClass,
    };
  });
}

/** Case figures per workflow over the window ending at `now` (by completion time). */
export function workflowFigures(now: number, windowMs: number, cases: readonly CaseSample[]): WorkflowFigures[] {
  const groups = groupBy(
    cases.filter((c) => inWindow(c.completedAt, now, windowMs)),
    (c) => c.workflowId,
  );
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([workflowId, list]) => {
      const durations = list
        .filter((c) => c.triggeredAt !== null)
        .map((c) => Math.max(0, c.completedAt - c.triggeredAt!));
      return {
        workflowId,
        completed: list.length,
        p50TriggerToCompletedMs: percentile(durations, 0.5),
        p95TriggerToCompletedMs: percentile(durations, 0.95),
        straightThroughRate: list.filter((c) => !c.sawException).length / list.length,
      };
    });
}

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

/** The states in which a case has reached an end: done, given up on, or handed to people (the exception queue). */
export const CASE_END_STATES = ['COMPLETED', 'EXPIRED', 'CLOSED', 'EXCEPTION'] as const;
export type CaseEndState = (typeof CASE_END_STATES)[number];

export interface CaseSample {
  workflowId: string;
  triggeredAt: number | null;
  /** When the case completed; null when it has not (yet). */
  completedAt: number | null;
  /** When the case first reached an end state, and which; null while it has not. */
  endedAt: number | null;
  endState: CaseEndState | null;
  /** The case passed through EXCEPTION at some point. */
  sawException: boolean;
}

/** Straight through: the case's first end was COMPLETED, without passing through EXCEPTION. */
export const straightThrough = (c: Pick<CaseSample, 'endState' | 'sawException'>): boolean =>
  c.endState === 'COMPLETED' && !c.sawException;

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
  /** Cases that completed in the window (whatever happened on the way). */
  completed: number;
  /** Cases that first reached an end in the window: completed, expired, closed or sent to the exception queue. */
  ended: number;
  /** Of those, cases whose first end was COMPLETED without passing through EXCEPTION. */
  straightThrough: number;
  p50TriggerToCompletedMs: number | null;
  p95TriggerToCompletedMs: number | null;
  /** straightThrough / ended: every case that reached an end counts, not only the completed; null without ends. */
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

/**
 * Case figures per workflow over the window ending at `now`: completion times of the cases completed in it, and the
 * straight-through rate of the cases that first reached an end in it.
 */
export function workflowFigures(now: number, windowMs: number, cases: readonly CaseSample[]): WorkflowFigures[] {
  const completed = groupBy(
    cases.filter((c) => c.completedAt !== null && inWindow(c.completedAt, now, windowMs)),
    (c) => c.workflowId,
  );
  const ended = groupBy(
    cases.filter((c) => c.endedAt !== null && inWindow(c.endedAt, now, windowMs)),
    (c) => c.workflowId,
  );
  const workflows = [...new Set([...completed.keys(), ...ended.keys()])].sort((a, b) => a.localeCompare(b));
  return workflows.map((workflowId) => {
    const done = completed.get(workflowId) ?? [];
    const ends = ended.get(workflowId) ?? [];
    const durations = done
      .filter((c) => c.triggeredAt !== null)
      .map((c) => Math.max(0, c.completedAt! - c.triggeredAt!));
    const straight = ends.filter(straightThrough).length;
    return {
      workflowId,
      completed: done.length,
      ended: ends.length,
      straightThrough: straight,
      p50TriggerToCompletedMs: percentile(durations, 0.5),
      p95TriggerToCompletedMs: percentile(durations, 0.95),
      straightThroughRate: ends.length === 0 ? null : straight / ends.length,
    };
  });
}

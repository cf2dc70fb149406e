import { postingsToReverse, type BreakKind } from '../breaks/break-kinds';
import type { WritebackFigures } from '../slo/slo-figures';

export type AlertKind = 'SLO_BREACH' | 'UNKNOWN_AGE' | 'POSTED_TWICE';

/** A condition that, while it holds, is exactly one open alert. */
export interface AlertCondition {
  /** `slo:<workflow>:<destination>:writeback-success`, `unknown-age:<destination>`, `posted-twice:<destination>`. */
  key: string;
  kind: AlertKind;
  context: Record<string, unknown>;
}

export interface SloTargets {
  /** Default writeback success target, e.g. 0.995. */
  defaultSuccessTarget: number;
  /** Per-workflow overrides. */
  perWorkflow: Readonly<Record<string, number>>;
  /** Fewer settled writebacks than this say nothing about the SLO: no alert either way. */
  minSample: number;
}

export const sloAlertKey = (workflowId: string, destination: string): string =>
  `slo:${workflowId}:${destination}:writeback-success`;
export const unknownAgeAlertKey = (destination: string): string => `unknown-age:${destination}`;
export const postedTwiceAlertKey = (destination: string): string => `posted-twice:${destination}`;

/** SLO breaches: success rate below the workflow's target on at least `minSample` settled writebacks. */
export function sloBreaches(figures: readonly WritebackFigures[], targets: SloTargets): AlertCondition[] {
  return figures.flatMap((f) => {
    const target = targets.perWorkflow[f.workflowId] ?? targets.defaultSuccessTarget;
    if (f.successRate === null || f.settled < targets.minSample || f.successRate >= target) return [];
    return [
      {
        key: sloAlertKey(f.workflowId, f.destination),
        kind: 'SLO_BREACH' as const,
        context: {
          reason: `writeback success ${(f.successRate * 100).toFixed(2)}% on ${f.settled} settled writebacks is below the ${(target * 100).toFixed(2)}% target`,
          workflowId: f.workflowId,
          destination: f.destination,
          successRate: f.successRate,
          target,
          settled: f.settled,
          applied: f.applied,
        },
      },
    ];
  });
}

/** Aging unknowns: the oldest UNKNOWN outcome per destination older than the threshold. */
export function agingUnknowns(
  oldestUnknownAgeMsByDestination: ReadonlyMap<string, number>,
  thresholdMs: number,
): AlertCondition[] {
  return [...oldestUnknownAgeMsByDestination.entries()]
    .filter(([, age]) => age > thresholdMs)
    .map(([destination, age]) => ({
      key: unknownAgeAlertKey(destination),
      kind: 'UNKNOWN_AGE' as const,
      context: {
        reason: `oldest UNKNOWN writeback on ${destination} is ${Math.round(age / 1000)} s old (threshold ${Math.round(thresholdMs / 1000)} s)`,
        destination,
        oldestAgeMs: age,
        thresholdMs,
      },
    }));
}

/** An open break as the alert conditions see it. */
export interface OpenBreakFacts {
  kind: BreakKind;
  destination: string;
  idempotencyKey: string | null;
  context: Record<string, unknown>;
}

/**
 * Postings to reverse: one alert per destination while any POSTED_TWICE break is open there (money left a customer's
 * account twice until someone reverses it), with the keys and the sums per currency. Cleared when the last one goes.
 */
export function postedTwiceAlerts(open: readonly OpenBreakFacts[]): AlertCondition[] {
  const byDestination = new Map<string, OpenBreakFacts[]>();
  for (const b of open) {
    if (b.kind !== 'POSTED_TWICE') continue;
    byDestination.set(b.destination, [...(byDestination.get(b.destination) ?? []), b]);
  }
  return [...byDestination.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([destination, breaks]) => {
      const toReverse = reversalTotals(breaks);
      const keys = breaks
        .map((b) => b.idempotencyKey)
        .filter((k) => k !== null)
        .sort();
      return {
        key: postedTwiceAlertKey(destination),
        kind: 'POSTED_TWICE' as const,
        context: {
          reason: `${breaks.length} writeback(s) posted more than once on ${destination}: to reverse ${toReverse.map(describeTotal).join(', ')}`,
          destination,
          breaks: breaks.length,
          idempotencyKeys: keys,
          toReverse,
        },
      };
    });
}

const describeTotal = (t: { currency: string | null; amountMinor: number; postings: number }): string =>
  t.currency === null
    ? `${t.postings} posting(s) of unknown amount`
    : `${t.postings} posting(s) totalling ${t.amountMinor} minor units ${t.currency}`;

/** What the open POSTED_TWICE breaks ask to reverse, summed per currency (minor units; null = amount unknown). */
export function reversalTotals(
  breaks: readonly Pick<OpenBreakFacts, 'kind' | 'context'>[],
): Array<{ currency: string | null; amountMinor: number; postings: number }> {
  const totals = new Map<string | null, { currency: string | null; amountMinor: number; postings: number }>();
  for (const b of breaks) {
    if (b.kind !== 'POSTED_TWICE') continue;
    for (const p of postingsToReverse(b.context)) {
      const currency = p.amountMinor === null ? null : p.currency;
      const total = totals.get(currency) ?? { currency, amountMinor: 0, postings: 0 };
      total.amountMinor += p.amountMinor ?? 0;
      total.postings += 1;
      totals.set(currency, total);
    }
  }
  return [...totals.values()].sort((a, b) => (a.currency ?? '').localeCompare(b.currency ?? ''));
}

/**
 * The alert state machine: a holding condition without an open alert raises one; an open alert whose condition
 * no longer holds clears; an open alert whose condition still holds stays as it is (never raised twice).
 */
export function planAlerts(
  openKeys: ReadonlySet<string>,
  holding: readonly AlertCondition[],
): { raise: AlertCondition[]; clear: string[] } {
  const holdingKeys = new Set(holding.map((c) => c.key));
  const raised = new Set<string>();
  const raise = holding.filter((c) => {
    if (openKeys.has(c.key) || raised.has(c.key)) return false;
    raised.add(c.key);
    return true;
  });
  return { raise, clear: [...openKeys].filter((k) => !holdingKeys.has(k)).sort() };
}

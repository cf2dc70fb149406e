import { postingsToReverse, type BreakKind } from '../breaks/break-kinds';

/**
 * POSTED_TWICE is the one kind the reconciler raises; SLO_BREACH and UNKNOWN_AGE remain for alerts raised before
 * Prometheus became the one source of truth for alerting (docs/operations/slo.md), cleared by the next pass.
 */
export type AlertKind = 'SLO_BREACH' | 'UNKNOWN_AGE' | 'POSTED_TWICE';

/** A condition that, while it holds, is exactly one open alert. */
export interface AlertCondition {
  /** `posted-twice:<destination>` (formerly also `slo:…:writeback-success` and `unknown-age:<destination>`). */
  key: string;
  kind: AlertKind;
  context: Record<string, unknown>;
}

export const postedTwiceAlertKey = (destination: string): string => `posted-twice:${destination}`;

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

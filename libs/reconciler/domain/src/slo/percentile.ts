/**
 * The p-th percentile (0 ≤ p ≤ 1) of `values` by linear interpolation between closest ranks (Hyndman & Fan type 7,
 * what numpy and Excel's PERCENTILE.INC compute); null for no values. Exact rather than the installed `tdigest`:
 * SLO windows hold thousands of samples, not millions, and an operator comparing figures wants the exact number.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile: p must be within [0, 1], got ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const lo = sorted[lower]!;
  return lo + (sorted[upper]! - lo) * (rank - lower);
}

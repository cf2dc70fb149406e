/** What the benchmarks print: latency percentiles of a sample and one row of their results table. */

/** p50, p95 and p99 of a sample (nearest rank from below); 0 for an empty one. */
export function percentiles(samples: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

export interface Row {
  what: string;
  n: number;
  perSecond: number;
  latency: { p50: number; p95: number; p99: number };
  note: string;
}

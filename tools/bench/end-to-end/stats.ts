/** Percentiles and the benchmark's table formatting. */

/** Epoch milliseconds with sub-millisecond resolution, comparable with other processes' Date.now(). */
export const now = (): number => performance.timeOrigin + performance.now();

interface Pcts {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export function pcts(samples: number[]): Pcts {
  const sorted = samples.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: sorted.length ? mean : NaN };
}

export const ms = (v: number, w = 9) =>
  (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : '-').padStart(w);
export const pctRow = (label: string, p: Pcts, w = 44) =>
  `  ${label.padEnd(w)} ${ms(p.p50)} ${ms(p.p95)} ${ms(p.p99)} ${ms(p.mean)}`;
export const pctHeader = (label: string, w = 44) =>
  `  ${label.padEnd(w)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'p99'.padStart(9)} ${'mean'.padStart(9)}`;

/** Total length of the union of [start, end] intervals: the time a core was working on the case. */
export function unionLength(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [s, e] of sorted) {
    if (!cur || s > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    } else cur[1] = Math.max(cur[1], e);
  }
  return total + (cur ? cur[1] - cur[0] : 0);
}

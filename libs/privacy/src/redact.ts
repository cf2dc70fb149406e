import { maskContactPoints } from './contact';
import { maskPans } from './pan';

/** Card numbers and contact points in `text` masked: what may go in a log line, an audit reason or an error body. */
export function redactText(text: string): string {
  return maskContactPoints(maskPans(text));
}

/**
 * A copy of `value` with every string redacted (card numbers and contact points masked), to any depth, bounded:
 * strings are cut to `maxString` characters and structures deeper than `maxDepth` are replaced by a marker.
 */
export function redactDeep(value: unknown, limits: { maxDepth?: number; maxString?: number } = {}): unknown {
  const maxDepth = limits.maxDepth ?? 8;
  const maxString = limits.maxString ?? 2000;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactText(v.length > maxString ? `${v.slice(0, maxString)}…` : v);
    if (v === null || typeof v !== 'object') return v;
    if (depth >= maxDepth) return '[too deep]';
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, depth + 1)]));
  };
  return walk(value, 0);
}

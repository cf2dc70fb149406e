/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * A small seeded generator (mulberry32) so a run with rate-based faults can be repeated exactly: same seed, same
 * calls or batches, same outcomes. Any core's `random` option takes it.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

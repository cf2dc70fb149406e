/**
 * Which of a destination's own unfinished uploads in inbound are stale: a `.part` file (a cut upload) or a complete
 * CSV whose manifest never came. The core never acts on a batch without its manifest, so they post nothing — but
 * left behind by a crash they stay for ever, and their records go again in a new batch.
 *
 * A file is stale once this process has seen it unchanged (same size and modification time) for `staleMs` on its
 * own monotonic clock: clock skew between us, the server and other replicas cannot make a live upload look old. An
 * uploader gives up on a batch it cannot finish within half of `staleMs` and never writes its manifest after that,
 * so a CSV without manifest seen for `staleMs` can never get one — removing it cannot cut a batch the core could act
 * on. (A deterministic batch id to resume with was the alternative; but after a crash the records are claimed again
 * in another order and batched with others, so no successor could ever rebuild the same batch.)
 */

export interface InboundEntry {
  name: string;
  size: number;
  modifyTime: number;
}

const PART = '.part';
const CSV = '.csv';
const MANIFEST = '.manifest.json';

/** The batch id of an unfinished upload among `present` names, or undefined when the name is none. */
export function unfinishedUpload(name: string, present: ReadonlySet<string>): string | undefined {
  for (const suffix of [`${CSV}${PART}`, `${MANIFEST}${PART}`])
    if (name.endsWith(suffix)) return name.slice(0, -suffix.length);
  if (name.endsWith(CSV)) {
    const batchId = name.slice(0, -CSV.length);
    return present.has(`${batchId}${MANIFEST}`) ? undefined : batchId;
  }
  return undefined;
}

export const manifestNameOf = (batchId: string): string => `${batchId}${MANIFEST}`;

export class StaleUploads {
  /** Name → how it looked when first seen that way, and when (this process's monotonic ms). */
  private readonly seen = new Map<string, { size: number; modifyTime: number; since: number }>();

  /**
   * @param ownBatch tells this destination's batch ids from anyone else's: only its own files are ever touched.
   * @param staleMs how long a file must stay unchanged.
   */
  constructor(
    private readonly ownBatch: (batchId: string) => boolean,
    private readonly staleMs: number,
  ) {}

  /** One listing of inbound at monotonic time `now`: the names now stale. `busy` are batch ids being uploaded here. */
  observe(entries: readonly InboundEntry[], now: number, busy: ReadonlySet<string>): string[] {
    const present = new Set(entries.map((e) => e.name));
    const stale: string[] = [];
    const current = new Set<string>();
    for (const entry of entries) {
      const batchId = unfinishedUpload(entry.name, present);
      if (batchId === undefined || !this.ownBatch(batchId) || busy.has(batchId)) continue;
      current.add(entry.name);
      const before = this.seen.get(entry.name);
      if (!before || before.size !== entry.size || before.modifyTime !== entry.modifyTime)
        this.seen.set(entry.name, { size: entry.size, modifyTime: entry.modifyTime, since: now });
      else if (now - before.since >= this.staleMs) stale.push(entry.name);
    }
    for (const name of [...this.seen.keys()]) if (!current.has(name)) this.seen.delete(name);
    return stale;
  }
}

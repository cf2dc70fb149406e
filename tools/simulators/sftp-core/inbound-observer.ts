/**
 * TEST DOUBLE — part of the simulated SFTP batch core (tools/simulators/sftp-core), which stands in for a bank's
 * batch system of record in tests and demos. Not production code.
 *
 * Watches what clients leave unfinished in inbound: a `.part` upload, or a CSV whose manifest never came. The core
 * acts on a manifest only, so these never post anything; but a client that crashes mid-upload and never cleans up
 * leaves them for ever. A checker learns how many vanished unfinished (removed by the client) and how many are there
 * now, and for how long.
 */
import { CSV_SUFFIX, MANIFEST_SUFFIX, PART_SUFFIX } from './file-protocol';
import type { InboundFigures } from './stats';

const stemOf = (name: string): string => {
  const whole = name.endsWith(PART_SUFFIX) ? name.slice(0, -PART_SUFFIX.length) : name;
  for (const suffix of [CSV_SUFFIX, MANIFEST_SUFFIX])
    if (whole.endsWith(suffix)) return whole.slice(0, -suffix.length);
  return whole;
};

/** A `.part`, or a CSV whose manifest is not (yet) beside it. */
const isUnfinished = (name: string, present: ReadonlySet<string>): boolean =>
  name.endsWith(PART_SUFFIX) ||
  (name.endsWith(CSV_SUFFIX) && !present.has(`${name.slice(0, -CSV_SUFFIX.length)}${MANIFEST_SUFFIX}`));

export class InboundObserver {
  /** `destination/name` → when the core first saw it unfinished. */
  private readonly unfinished = new Map<string, number>();
  /** `destination/batchId` of every batch the core picked up: its files leave inbound finished. */
  private readonly handled = new Set<string>();
  private removed = 0;

  constructor(private readonly now: () => number) {}

  batchHandled(destination: string, batchId: string): void {
    this.handled.add(`${destination}/${batchId}`);
  }

  /** One listing of `<destination>/inbound`. */
  observe(destination: string, names: readonly string[]): void {
    const present = new Set(names);
    const prefix = `${destination}/`;
    for (const name of names)
      if (isUnfinished(name, present) && !this.unfinished.has(prefix + name))
        this.unfinished.set(prefix + name, this.now());
    for (const slot of [...this.unfinished.keys()]) {
      if (!slot.startsWith(prefix)) continue;
      const name = slot.slice(prefix.length);
      if (present.has(name) && isUnfinished(name, present)) continue;
      this.unfinished.delete(slot);
      if (!this.finished(destination, name, present)) this.removed += 1;
    }
  }

  figures(): InboundFigures {
    const firstSeen = Math.min(...this.unfinished.values());
    return {
      unfinishedRemoved: this.removed,
      unfinishedNow: this.unfinished.size,
      oldestUnfinishedAgeMs: this.unfinished.size === 0 ? 0 : this.now() - firstSeen,
    };
  }

  /** Gone or completed because the upload went on: renamed to its final name, joined by its manifest, or picked up. */
  private finished(destination: string, name: string, present: ReadonlySet<string>): boolean {
    if (this.handled.has(`${destination}/${stemOf(name)}`)) return true;
    if (name.endsWith(PART_SUFFIX)) return present.has(name.slice(0, -PART_SUFFIX.length));
    return present.has(`${stemOf(name)}${MANIFEST_SUFFIX}`);
  }
}

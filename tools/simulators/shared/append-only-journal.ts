/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * An append-only posting journal: entries in sequence order, deep-frozen, optionally mirrored to a JSONL file so a
 * checker (or a restarted simulator) sees every posting ever made. Nothing here can update or delete. Each core
 * extends it with the queries its own API answers.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export class AppendOnlyJournal<E extends { sequence: number }> {
  protected readonly entries: E[] = [];

  /**
   * Loads an existing JSONL journal (a torn last line from a crash is ignored; corruption elsewhere throws).
   * `isEntry` tells an entry of this core's journal from anything else.
   */
  constructor(
    private readonly file: string | undefined,
    isEntry: (value: unknown) => boolean,
  ) {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        const entry = JSON.parse(line) as E;
        if (typeof entry.sequence !== 'number' || !isEntry(entry)) throw new Error('not an entry');
        this.entries.push(deepFreeze(entry));
      } catch (error) {
        const isLast = lines.slice(index + 1).every((l) => l.trim() === '');
        if (!isLast) throw new Error(`journal ${file} line ${index + 1} is corrupt: ${String(error)}`);
      }
    });
  }

  get nextSequence(): number {
    return (this.entries.at(-1)?.sequence ?? 0) + 1;
  }

  /** Appends one posting; written to the file synchronously, so an answered commit is a durable one. */
  append(entry: E): E {
    if (entry.sequence !== this.nextSequence) {
      throw new Error(
        `journal is append-only: expected sequence ${this.nextSequence}, got ${entry.sequence}`,
      );
    }
    const frozen = deepFreeze(structuredClone(entry));
    if (this.file) appendFileSync(this.file, `${JSON.stringify(frozen)}\n`, 'utf8');
    this.entries.push(frozen);
    return frozen;
  }

  /** A snapshot: later appends do not change it, and its entries cannot be modified. */
  all(): readonly E[] {
    return Object.freeze([...this.entries]);
  }
}

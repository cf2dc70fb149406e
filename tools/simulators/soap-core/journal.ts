/**
 * TEST DOUBLE — part of the simulated SOAP core banking system (tools/simulators/soap-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * The core's append-only posting journal: every committed write, in commit order, optionally mirrored to a JSONL
 * file so a checker (or a restarted simulator) sees every posting ever made. Nothing here can update or delete.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type SoapVersion = '1.1' | '1.2';

export interface JournalEntry {
  sequence: number;
  /** The core's reference for the posting (what Closeout stores as `providerRef`). */
  transactionRef: string;
  /** The SOAP operation, e.g. `PostPayment`. */
  operation: string;
  idempotencyKey: string | null;
  clientCorrelationId: string;
  soapVersion: SoapVersion;
  /** True for the second execution of a `server_retry`: the core's middleware, not the client, sent it. */
  internalRetry: boolean;
  body: unknown;
  /** SHA-256 of operation and canonical body: how a replay is told from a reuse of the key. */
  requestHash: string;
  receivedAt: string;
  committedAt: string;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export class PostingJournal {
  private readonly entries: JournalEntry[] = [];

  /** Loads an existing JSONL journal (a torn last line from a crash is ignored; corruption elsewhere throws). */
  constructor(private readonly file?: string) {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        const entry = JSON.parse(line) as JournalEntry;
        if (typeof entry.sequence !== 'number' || typeof entry.transactionRef !== 'string')
          throw new Error('not an entry');
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

  /** Appends one committed posting; written to the file synchronously, so an answered commit is a durable one. */
  append(entry: JournalEntry): JournalEntry {
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
  all(): readonly JournalEntry[] {
    return Object.freeze([...this.entries]);
  }

  byClientCorrelationId(id: string): JournalEntry[] {
    return this.entries.filter((e) => e.clientCorrelationId === id);
  }

  byTransactionRef(ref: string): JournalEntry | undefined {
    return this.entries.find((e) => e.transactionRef === ref);
  }
}

/**
 * TEST DOUBLE — part of the simulated REST core banking system (tools/simulators/rest-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * The core's append-only posting journal: every committed write, in commit order, optionally mirrored to a JSONL
 * file so a checker (or a restarted simulator) sees every posting ever made. Nothing here can update or delete.
 */
import { AppendOnlyJournal } from '@closeout/simulators/shared';

export interface JournalEntry {
  sequence: number;
  /** The core's reference for the posting (what Closeout stores as `providerRef`). */
  transactionId: string;
  idempotencyKey: string | null;
  /** False when the core was told to ignore idempotency keys: this posting is no replay original. */
  idempotencyKeyHonoured: boolean;
  /** Closeout's name for the operation, e.g. `payment.post`. */
  operation: string;
  method: string;
  path: string;
  apiVersion: string;
  body: unknown;
  /** SHA-256 of method, path and canonical body: how a replay is told from a reuse of the key. */
  requestHash: string;
  /** The W3C `traceparent` the write came with, when it came with one (what a real core's logs would join on). */
  traceparent?: string;
  receivedAt: string;
  committedAt: string;
  /** The answer the core gave (or would have given) on commit; replayed verbatim for the same key. */
  response: { status: number; body: Record<string, unknown> };
}

export class PostingJournal extends AppendOnlyJournal<JournalEntry> {
  constructor(file?: string) {
    super(file, (value) => typeof (value as Partial<JournalEntry>).transactionId === 'string');
  }

  byIdempotencyKey(key: string): JournalEntry[] {
    return this.entries.filter((e) => e.idempotencyKey === key);
  }

  byTransactionId(transactionId: string): JournalEntry | undefined {
    return this.entries.find((e) => e.transactionId === transactionId);
  }

  since(
    sequence: number,
    limit: number,
    include: (e: JournalEntry) => boolean = () => true,
  ): { entries: JournalEntry[]; hasMore: boolean } {
    const after = this.entries.filter((e) => e.sequence > sequence && include(e));
    return { entries: after.slice(0, limit), hasMore: after.length > limit };
  }
}

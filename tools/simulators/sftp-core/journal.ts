/**
 * TEST DOUBLE — part of the simulated SFTP batch core (tools/simulators/sftp-core), which stands in for a bank's
 * batch system of record in tests and demos. Not production code.
 *
 * The core's append-only posting journal: every record it posted, in posting order, optionally mirrored to a JSONL
 * file so a checker (or a restarted simulator) sees every posting ever made. Nothing here can update or delete.
 */
import { AppendOnlyJournal } from '@closeout/simulators/shared';
import { type PaymentRecord } from './file-protocol';

export interface JournalEntry {
  sequence: number;
  /** The core's reference for the posting (what Closeout stores as `providerRef`). */
  providerRef: string;
  destination: string;
  idempotencyKey: string;
  /** The batch and line the posting came from: the evidence a reconciler points at. */
  batchId: string;
  line: number;
  record: PaymentRecord;
  postedAt: string;
  /**
   * Set when the core posted this key a second time by its own fault (`reingest_after_crash`): the sequence of the
   * first posting. Ground truth for a checker; the posting report lists both postings without saying so.
   */
  repostOf?: number;
}

export class PostingJournal extends AppendOnlyJournal<JournalEntry> {
  constructor(file?: string) {
    super(file, (value) => typeof (value as Partial<JournalEntry>).providerRef === 'string');
  }

  byIdempotencyKey(key: string, destination?: string): JournalEntry[] {
    return this.entries.filter(
      (e) => e.idempotencyKey === key && (destination === undefined || e.destination === destination),
    );
  }
}

/**
 * TEST DOUBLE — part of the simulated SOAP core banking system (tools/simulators/soap-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * The core's append-only posting journal: every committed write, in commit order, optionally mirrored to a JSONL
 * file so a checker (or a restarted simulator) sees every posting ever made. Nothing here can update or delete.
 */
import { AppendOnlyJournal } from '@closeout/simulators/shared';

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
  /** The W3C `traceparent` the call came with, when it came with one (what a real core's logs would join on). */
  traceparent?: string;
  receivedAt: string;
  committedAt: string;
}

export class PostingJournal extends AppendOnlyJournal<JournalEntry> {
  constructor(file?: string) {
    super(file, (value) => typeof (value as Partial<JournalEntry>).transactionRef === 'string');
  }

  byClientCorrelationId(id: string): JournalEntry[] {
    return this.entries.filter((e) => e.clientCorrelationId === id);
  }

  byTransactionRef(ref: string): JournalEntry | undefined {
    return this.entries.find((e) => e.transactionRef === ref);
  }
}

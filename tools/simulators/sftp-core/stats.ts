/**
 * TEST DOUBLE — part of the simulated SFTP batch core (tools/simulators/sftp-core), which stands in for a bank's
 * batch system of record in tests and demos. Not production code.
 *
 * What a checker asks of the core after a run: how batches and records ended, whether anything posted twice, and
 * whether the client behaved (no resubmission of a key the core failed hard).
 */
import { FAULT_MODES, type FaultMode } from './faults';
import { BATCH_STATUSES, RECORD_OUTCOMES, type BatchStatus, type RecordOutcome } from './file-protocol';

export interface SftpCoreStats {
  /** Batches the core picked up (manifest present), whatever became of them. */
  batches: number;
  batchesByStatus: Record<BatchStatus, number>;
  /** Batches whose id the core had already seen: a client resubmitting instead of reading receipts. */
  batchesResubmitted: { total: number; byBatchId: Record<string, number> };
  receipts: { written: number; delayed: number; withheld: number };
  records: number;
  recordsByOutcome: Record<RecordOutcome, number>;
  postings: number;
  /**
   * Postings beyond the first per key: always 0 unless the journal was tampered with. Every per-key map here is
   * keyed `destination/idempotencyKey`, since each destination is its own system of record.
   */
  duplicatePostings: { total: number; byIdempotencyKey: Record<string, number> };
  /**
   * Postings the core made a second time by its own fault (`reingest_after_crash`), apart from `duplicatePostings`:
   * the client sent these once. They are in the journal and the posting report, for the reconciler to find.
   */
  repostedByCore: { total: number; byIdempotencyKey: Record<string, number> };
  /** Batches the core ingested again after its own simulated crash. */
  batchesReingested: number;
  /** Records those re-ingests went through again (counted in `records` too: the client sent them once). */
  recordsReingested: number;
  /** What hostile receipts claimed beyond the truth (see the receipt fault modes). */
  hostileReceipts: {
    /** Records for keys that were not in the batch. */
    foreignRecords: number;
    /** Extra, contradicting copies of a record. */
    contradictingRecords: number;
    garbled: number;
    oversized: number;
  };
  /** Unfinished uploads the core saw in inbound (`.part` files, a CSV whose manifest never came): the client's leftovers. */
  inbound: InboundFigures;
  /** Records the core answered DUPLICATE instead of posting again. */
  duplicatesPrevented: { total: number; byIdempotencyKey: Record<string, number> };
  /** Records carrying a key the core had already failed hard: a client that replays hard failures. */
  hardFailedThenResubmitted: { total: number; byIdempotencyKey: Record<string, number> };
  /** Batches the core could not handle (I/O error); retried on the next poll. */
  processingErrors: number;
  faultsInjected: Record<FaultMode, number>;
}

export interface InboundFigures {
  /** Unfinished uploads that vanished without becoming a batch: removed by the client (a sweep or its own abandon). */
  unfinishedRemoved: number;
  /** Unfinished uploads in inbound now, and how long the oldest has been seen there. */
  unfinishedNow: number;
  oldestUnfinishedAgeMs: number;
}

const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);
const total = (map: Map<string, number>): number => [...map.values()].reduce((a, b) => a + b, 0);

export class StatsRecorder {
  private batches = 0;
  private readonly statuses = Object.fromEntries(BATCH_STATUSES.map((s) => [s, 0])) as Record<
    BatchStatus,
    number
  >;
  private readonly outcomes = Object.fromEntries(RECORD_OUTCOMES.map((o) => [o, 0])) as Record<
    RecordOutcome,
    number
  >;
  private readonly receipts = { written: 0, delayed: 0, withheld: 0 };
  private readonly seenBatches = new Map<string, number>();
  private readonly postingsByKey = new Map<string, number>();
  private readonly duplicates = new Map<string, number>();
  private readonly hardResubmits = new Map<string, number>();
  private readonly repostings = new Map<string, number>();
  private reingested = 0;
  private reingestedRecords = 0;
  private readonly hostile = { foreignRecords: 0, contradictingRecords: 0, garbled: 0, oversized: 0 };
  private readonly faults: Partial<Record<FaultMode, number>> = {};
  private errors = 0;

  batchArrived(destination: string, batchId: string): void {
    this.batches += 1;
    bump(this.seenBatches, `${destination}/${batchId}`);
  }

  batchEnded(status: BatchStatus): void {
    this.statuses[status] += 1;
  }

  record(outcome: RecordOutcome): void {
    this.outcomes[outcome] += 1;
  }

  posted(idempotencyKey: string): void {
    bump(this.postingsByKey, idempotencyKey);
  }

  /** A posting the core made again by its own fault; kept apart from `posted` so duplicatePostings stays the client's. */
  reposted(idempotencyKey: string): void {
    bump(this.repostings, idempotencyKey);
  }

  batchReingested(records: number): void {
    this.reingested += 1;
    this.reingestedRecords += records;
  }

  hostileReceipt(kind: keyof SftpCoreStats['hostileReceipts'], n = 1): void {
    this.hostile[kind] += n;
  }

  duplicatePrevented(idempotencyKey: string): void {
    bump(this.duplicates, idempotencyKey);
  }

  hardFailedResubmitted(idempotencyKey: string): void {
    bump(this.hardResubmits, idempotencyKey);
  }

  receipt(kind: 'written' | 'delayed' | 'withheld'): void {
    this.receipts[kind] += 1;
  }

  fault(mode: FaultMode): void {
    this.faults[mode] = (this.faults[mode] ?? 0) + 1;
  }

  processingError(): void {
    this.errors += 1;
  }

  snapshot(inbound: InboundFigures): SftpCoreStats {
    const dupPostings = Object.fromEntries(
      [...this.postingsByKey].filter(([, n]) => n > 1).map(([key, n]) => [key, n - 1]),
    );
    const resubmitted = Object.fromEntries(
      [...this.seenBatches].filter(([, n]) => n > 1).map(([key, n]) => [key, n - 1]),
    );
    return {
      batches: this.batches,
      batchesByStatus: { ...this.statuses },
      batchesResubmitted: {
        total: Object.values(resubmitted).reduce((a, b) => a + b, 0),
        byBatchId: resubmitted,
      },
      receipts: { ...this.receipts },
      records: Object.values(this.outcomes).reduce((a, b) => a + b, 0),
      recordsByOutcome: { ...this.outcomes },
      postings: total(this.postingsByKey) + total(this.repostings),
      duplicatePostings: {
        total: Object.values(dupPostings).reduce((a, b) => a + b, 0),
        byIdempotencyKey: dupPostings,
      },
      repostedByCore: {
        total: total(this.repostings),
        byIdempotencyKey: Object.fromEntries(this.repostings),
      },
      batchesReingested: this.reingested,
      recordsReingested: this.reingestedRecords,
      hostileReceipts: { ...this.hostile },
      inbound: { ...inbound },
      duplicatesPrevented: {
        total: total(this.duplicates),
        byIdempotencyKey: Object.fromEntries(this.duplicates),
      },
      hardFailedThenResubmitted: {
        total: total(this.hardResubmits),
        byIdempotencyKey: Object.fromEntries(this.hardResubmits),
      },
      processingErrors: this.errors,
      faultsInjected: Object.fromEntries(FAULT_MODES.map((m) => [m, this.faults[m] ?? 0])) as Record<
        FaultMode,
        number
      >,
    };
  }
}

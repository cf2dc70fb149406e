import { BrokerRejectedError } from '../kafka.errors';
import type { OutgoingRecord } from '../ports/message-bus.port';

/**
 * Upper bounds of one produce request, well below the broker's default message.max.bytes (1 MiB): the broker refuses
 * a partition's record batch over that size as a whole, and kafkajs puts all of a request's records for a partition
 * in one batch.
 */
export interface CoalescingLimits {
  maxRecords: number;
  maxBytes: number;
}

export const DEFAULT_COALESCING_LIMITS: CoalescingLimits = { maxRecords: 500, maxBytes: 512 * 1024 };

/** One caller's send; several chunks when its records exceed one request's limits. */
interface Call {
  resolve: () => void;
  reject: (error: unknown) => void;
  chunksLeft: number;
  failed: boolean;
}

interface Pending {
  records: OutgoingRecord[];
  bytes: number;
  call: Call;
}

const sizeOf = (records: OutgoingRecord[]): number =>
  records.reduce((sum, r) => sum + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);

/**
 * Merges concurrent sends into one produce request. The idempotent producer keeps one request in flight per broker
 * (kafkajs has no linger.ms), so without this every caller's send is its own round trip and callers queue behind each
 * other. Here the first send goes at once; sends made while it is in flight wait and then go together, in the order
 * they were made, so each topic-partition keeps its order. A send over one request's byte limit goes as several
 * requests, one after another; once one of them fails the rest are not sent, so nothing of a call overtakes a part of
 * it that failed. A caller's promise settles with the requests that carried its records: every caller in a failed
 * request gets its error (they retry as they would after a failure of their own: a transaction rolls back, an outbox
 * row stays unpublished), except that when the broker refuses a merged request for good, each caller in it is sent
 * again on its own, so the refusal reaches only the caller whose records the broker refuses.
 */
export class CoalescingSender {
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(
    private readonly sendBatch: (records: OutgoingRecord[]) => Promise<void>,
    private readonly limits: CoalescingLimits = DEFAULT_COALESCING_LIMITS,
  ) {}

  send(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const chunks = this.chunk(records);
      const call: Call = { resolve, reject, chunksLeft: chunks.length, failed: false };
      for (const chunk of chunks) this.queue.push({ records: chunk, bytes: sizeOf(chunk), call });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        if (batch.length === 0) continue;
        try {
          await this.sendBatch(batch.flatMap((p) => p.records));
          for (const p of batch) settled(p);
        } catch (error) {
          if (error instanceof BrokerRejectedError && batch.length > 1) await this.sendAlone(batch);
          else for (const p of batch) failed(p, error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Each caller's records of a refused merged request, in their own request, in the order they were made. */
  private async sendAlone(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      if (p.call.failed) continue;
      try {
        await this.sendBatch(p.records);
        settled(p);
      } catch (error) {
        failed(p, error);
      }
    }
  }

  /**
   * The next request: at least one pending chunk, then more while the limits allow (a chunk is never split). Chunks of
   * a call that already failed are dropped.
   */
  private take(): Pending[] {
    const batch: Pending[] = [];
    let records = 0;
    let bytes = 0;
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      if (next.call.failed) {
        this.queue.shift();
        continue;
      }
      if (
        batch.length > 0 &&
        (records + next.records.length > this.limits.maxRecords || bytes + next.bytes > this.limits.maxBytes)
      )
        break;
      this.queue.shift();
      batch.push(next);
      records += next.records.length;
      bytes += next.bytes;
    }
    return batch;
  }

  /**
   * A call's records in runs within the byte limit, in order; a single record over it is a run of its own. Only bytes
   * split a call: the broker bounds a batch's size, not its record count.
   */
  private chunk(records: OutgoingRecord[]): OutgoingRecord[][] {
    const chunks: OutgoingRecord[][] = [];
    let current: OutgoingRecord[] = [];
    let bytes = 0;
    for (const record of records) {
      const size = sizeOf([record]);
      if (current.length > 0 && bytes + size > this.limits.maxBytes) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(record);
      bytes += size;
    }
    chunks.push(current);
    return chunks;
  }
}

function settled(p: Pending): void {
  if (p.call.failed) return;
  p.call.chunksLeft -= 1;
  if (p.call.chunksLeft === 0) p.call.resolve();
}

function failed(p: Pending, error: unknown): void {
  if (p.call.failed) return;
  p.call.failed = true;
  p.call.reject(error);
}

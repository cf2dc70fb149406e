import type { OutgoingRecord } from '../ports/message-bus.port';

/** Upper bounds of one coalesced produce request, well below the broker's default message.max.bytes (1 MiB). */
export interface CoalescingLimits {
  maxRecords: number;
  maxBytes: number;
}

export const DEFAULT_COALESCING_LIMITS: CoalescingLimits = { maxRecords: 500, maxBytes: 512 * 1024 };

interface Pending {
  records: OutgoingRecord[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const sizeOf = (records: OutgoingRecord[]): number =>
  records.reduce((sum, r) => sum + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);

/**
 * Merges concurrent sends into one produce request. The idempotent producer keeps one request in flight per broker
 * (kafkajs has no linger.ms), so without this every caller's send is its own round trip and callers queue behind each
 * other. Here the first send goes at once; sends made while it is in flight wait and then go together, in the order
 * they were made, so each topic-partition keeps its order. A caller's promise settles with the request that carried
 * its records: every caller in a failed request gets its error (they retry as they would after a failure of their
 * own: a transaction rolls back, an outbox row stays unpublished).
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
      this.queue.push({ records, bytes: sizeOf(records), resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        try {
          await this.sendBatch(batch.flatMap((p) => p.records));
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The next request: at least one caller's records, then more callers while the limits allow (never split). */
  private take(): Pending[] {
    const batch = [this.queue.shift()!];
    let records = batch[0]!.records.length;
    let bytes = batch[0]!.bytes;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (records + next.records.length > this.limits.maxRecords || bytes + next.bytes > this.limits.maxBytes)
        break;
      batch.push(this.queue.shift()!);
      records += next.records.length;
      bytes += next.bytes;
    }
    return batch;
  }
}

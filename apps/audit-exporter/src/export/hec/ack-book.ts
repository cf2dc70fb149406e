/**
 * The HEC sink's bookkeeping, pure: which position the acknowledged batches prove, which batches are due again, where
 * the next batch starts. Batches are contiguous seq ranges (the store's seq has no gaps).
 */
import type { PendingAck } from '../export.repository';

/**
 * The highest seq S such that every record up to S is delivered: from `position`, over the acknowledged batches that
 * follow one another without a hole. An unacknowledged batch stops it, whatever is acknowledged after it.
 */
export function deliveredPosition(position: number, pending: readonly PendingAck[]): number {
  let at = position;
  for (const p of [...pending].sort((a, b) => a.seqFrom - b.seqFrom)) {
    if (p.seqTo <= at) continue;
    if (p.seqFrom > at + 1 || !p.acked) break;
    at = p.seqTo;
  }
  return at;
}

/**
 * Batches to send again: unacknowledged and either sent on another channel (an earlier process: its ackIds mean
 * nothing on ours) or older than the ack timeout (the ack stayed false, or the collector forgot the ackId).
 */
export function dueForResend(
  pending: readonly PendingAck[],
  channel: string,
  nowMs: number,
  ackTimeoutMs: number,
): PendingAck[] {
  return pending.filter(
    (p) => !p.acked && (p.channel !== channel || nowMs - p.sentAt.getTime() >= ackTimeoutMs),
  );
}

/** The batches whose acks to ask this channel about. */
export function awaitingAck(pending: readonly PendingAck[], channel: string): PendingAck[] {
  return pending.filter((p) => !p.acked && p.channel === channel);
}

/** The first seq not yet sent: after the position and after every batch in flight. */
export function nextUnsent(position: number, pending: readonly PendingAck[]): number {
  return pending.reduce((max, p) => Math.max(max, p.seqTo), position) + 1;
}

/** Batches still waiting (sent, not acknowledged). */
export function inFlight(pending: readonly PendingAck[]): number {
  return pending.filter((p) => !p.acked).length;
}

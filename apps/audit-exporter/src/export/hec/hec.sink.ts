import type { ExportRepository } from '../export.repository';
import type { ExportMetrics } from '../export.metrics';
import type { HecSinkConfig } from '../export.config';
import { SinkHealth, type Sink, type SinkLog } from '../sink';
import { awaitingAck, deliveredPosition, dueForResend, inFlight, nextUnsent } from './ack-book';
import type { HecClient } from './hec.client';

/**
 * Splunk HEC with indexer acknowledgement. A record counts as delivered only when the batch that carried it is
 * acknowledged and every batch before it is too; the position advances over acknowledged seqs only. A batch whose ack
 * has not turned true after the ack timeout (or that an earlier process sent on another channel) is sent again, as
 * a repeat the SIEM can drop by `closeout_event_id`.
 */
export class HecSink implements Sink {
  readonly name = 'hec' as const;
  private readonly health: SinkHealth;
  private lastPoll = 0;

  constructor(
    private readonly config: HecSinkConfig,
    private readonly client: HecClient,
    private readonly repo: ExportRepository,
    private readonly metrics: ExportMetrics,
    log: SinkLog,
    private readonly pollMs: number,
    maxBackoffMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.health = new SinkHealth('hec', metrics, log, maxBackoffMs);
  }

  async step(): Promise<number> {
    const position = await this.repo.position('hec');
    let pending = await this.repo.pendingAcks('hec');

    // 1. Ask about this channel's unacknowledged batches.
    const waiting = awaitingAck(pending, this.client.channel);
    if (waiting.length > 0 && this.now() - this.lastPoll >= this.config.ackPollMs) {
      this.lastPoll = this.now();
      const answer = await this.client.ack(waiting.map((p) => p.ackId));
      if (answer.kind === 'failed')
        return this.health.failed(answer.reason, answer.detail, answer.retryAfterMs);
      if (answer.kind === 'acks') {
        const acked = waiting.filter((p) => answer.acks[String(p.ackId)] === true).map((p) => p.ackId);
        await this.repo.markAcked('hec', this.client.channel, acked);
        if (acked.length > 0) pending = await this.repo.pendingAcks('hec');
      }
    }

    // 2. Advance over the acknowledged prefix.
    const delivered = deliveredPosition(position, pending);
    if (delivered > position) {
      await this.repo.advanceOverAcked('hec', delivered);
      this.metrics.exported.inc({ sink: 'hec' }, delivered - position);
      pending = pending.filter((p) => p.seqTo > delivered);
    }

    // 3. Send again what stayed unacknowledged too long or belongs to another channel.
    for (const due of dueForResend(pending, this.client.channel, this.now(), this.config.ackTimeoutMs)) {
      const records = await this.repo.recordRange(due.seqFrom, due.seqTo);
      const answer = await this.client.send(records);
      if (answer.kind !== 'ok') {
        return answer.kind === 'failed'
          ? this.health.failed(answer.reason, answer.detail, answer.retryAfterMs)
          : 0;
      }
      await this.repo.recordSent('hec', {
        seqFrom: due.seqFrom,
        seqTo: due.seqTo,
        channel: this.client.channel,
        ackId: answer.ackId,
      });
      this.metrics.resent.inc({ sink: 'hec' }, records.length);
      this.health.ok();
    }

    // 4. New batches while the in-flight window allows.
    let flying = inFlight(pending);
    let from = nextUnsent(delivered, pending) - 1;
    let sentAny = false;
    while (flying < this.config.maxInFlight) {
      const records = await this.repo.recordsAfter(from, this.config.batchSize);
      if (records.length === 0) break;
      const answer = await this.client.send(records);
      if (answer.kind !== 'ok') {
        return answer.kind === 'failed'
          ? this.health.failed(answer.reason, answer.detail, answer.retryAfterMs)
          : 0;
      }
      const seqFrom = records[0]!.seq;
      const seqTo = records[records.length - 1]!.seq;
      await this.repo.recordSent('hec', {
        seqFrom,
        seqTo,
        channel: this.client.channel,
        ackId: answer.ackId,
      });
      this.health.ok();
      flying += 1;
      from = seqTo;
      sentAny = true;
    }
    if (sentAny) return 0;
    return flying > 0 ? Math.min(this.config.ackPollMs, this.pollMs) : this.pollMs;
  }

  async close(): Promise<void> {
    // Nothing held: batches in flight are in hec_pending_ack and are sent again by the next process.
  }
}

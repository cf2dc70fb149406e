import type { DataSource } from 'typeorm';
import type { ExportRecord, StoredAuditEvent } from './ocsf';

export type SinkName = 'hec' | 'syslog';

export interface PendingAck {
  seqFrom: number;
  seqTo: number;
  channel: string;
  ackId: number;
  sentAt: Date;
  attempts: number;
  acked: boolean;
}

interface RecordRow {
  seq: string;
  event_id: string;
  occurred_at: Date;
  hash: string;
  event: StoredAuditEvent;
}

/** The export's SQL, in one place: reads of the store's `record` table, writes of its own two tables only. */
export class ExportRepository {
  constructor(private readonly db: DataSource) {}

  private static toRecord(r: RecordRow): ExportRecord {
    return {
      seq: Number(r.seq),
      eventId: r.event_id,
      occurredAt: r.occurred_at,
      hash: r.hash,
      event: r.event,
    };
  }

  /** Records after `afterSeq`, in order, at most `limit`. */
  async recordsAfter(afterSeq: number, limit: number): Promise<ExportRecord[]> {
    const rows = (await this.db.query(
      'SELECT seq, event_id, occurred_at, hash, event FROM "record" WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, limit],
    )) as RecordRow[];
    return rows.map(ExportRepository.toRecord);
  }

  /** Records `from`..`to` inclusive, in order. */
  async recordRange(from: number, to: number): Promise<ExportRecord[]> {
    const rows = (await this.db.query(
      'SELECT seq, event_id, occurred_at, hash, event FROM "record" WHERE seq BETWEEN $1 AND $2 ORDER BY seq',
      [from, to],
    )) as RecordRow[];
    return rows.map(ExportRepository.toRecord);
  }

  /** The sink's delivered position (0: nothing yet); the row is created on first use. */
  async position(sink: SinkName): Promise<number> {
    await this.db.query('INSERT INTO sink_position (sink) VALUES ($1) ON CONFLICT (sink) DO NOTHING', [sink]);
    const rows = (await this.db.query('SELECT last_seq FROM sink_position WHERE sink = $1', [sink])) as {
      last_seq: string;
    }[];
    return Number(rows[0]!.last_seq);
  }

  /** Moves the position forward only (a stale writer can never move it back). */
  async advance(sink: SinkName, seq: number): Promise<void> {
    await this.db.query(
      'UPDATE sink_position SET last_seq = $2, updated_at = now() WHERE sink = $1 AND last_seq < $2',
      [sink, seq],
    );
  }

  /** Age in seconds of the oldest record the sink has not delivered (0 when caught up), and how many are left. */
  async lag(sink: SinkName): Promise<{ seconds: number; events: number }> {
    const rows = (await this.db.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - r.stored_at), 0)::float8 AS seconds,
              GREATEST((SELECT COALESCE(MAX(seq), 0) FROM "record") - COALESCE(p.last_seq, 0), 0)::float8 AS events
         FROM (SELECT $1::text AS sink) s
         LEFT JOIN sink_position p ON p.sink = s.sink
         LEFT JOIN "record" r ON r.seq = COALESCE(p.last_seq, 0) + 1`,
      [sink],
    )) as { seconds: number; events: number }[];
    return { seconds: Math.max(0, rows[0]?.seconds ?? 0), events: rows[0]?.events ?? 0 };
  }

  async pendingAcks(sink: SinkName): Promise<PendingAck[]> {
    const rows = (await this.db.query(
      `SELECT seq_from, seq_to, channel, ack_id, sent_at, attempts, acked_at IS NOT NULL AS acked
         FROM hec_pending_ack WHERE sink = $1 ORDER BY seq_from`,
      [sink],
    )) as {
      seq_from: string;
      seq_to: string;
      channel: string;
      ack_id: string;
      sent_at: Date;
      attempts: number;
      acked: boolean;
    }[];
    return rows.map((r) => ({
      seqFrom: Number(r.seq_from),
      seqTo: Number(r.seq_to),
      channel: r.channel,
      ackId: Number(r.ack_id),
      sentAt: r.sent_at,
      attempts: r.attempts,
      acked: r.acked,
    }));
  }

  /** Records a batch as sent (again): a re-send replaces the range's channel, ackId and time. */
  async recordSent(
    sink: SinkName,
    p: { seqFrom: number; seqTo: number; channel: string; ackId: number },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO hec_pending_ack (sink, seq_from, seq_to, channel, ack_id, sent_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (sink, seq_from) DO UPDATE
         SET seq_to = EXCLUDED.seq_to, channel = EXCLUDED.channel, ack_id = EXCLUDED.ack_id, sent_at = now(),
             attempts = hec_pending_ack.attempts + 1, acked_at = NULL`,
      [sink, p.seqFrom, p.seqTo, p.channel, p.ackId],
    );
  }

  async markAcked(sink: SinkName, channel: string, ackIds: number[]): Promise<void> {
    if (ackIds.length === 0) return;
    await this.db.query(
      `UPDATE hec_pending_ack SET acked_at = now()
        WHERE sink = $1 AND channel = $2 AND ack_id = ANY($3::bigint[]) AND acked_at IS NULL`,
      [sink, channel, ackIds],
    );
  }

  /** Moves the position to `seq` and forgets the batches it covers, in one transaction. */
  async advanceOverAcked(sink: SinkName, seq: number): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(
        'UPDATE sink_position SET last_seq = $2, updated_at = now() WHERE sink = $1 AND last_seq < $2',
        [sink, seq],
      );
      await m.query('DELETE FROM hec_pending_ack WHERE sink = $1 AND seq_to <= $2', [sink, seq]);
    });
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface TrailRecord {
  seq: number;
  storedAt: string;
  hash: string;
  event: Record<string, unknown>;
}

export interface CaseTrailPage {
  caseId: string;
  records: TrailRecord[];
  /** `after` for the next page, or null when this page ends the trail as stored now. */
  next: number | null;
}

/** A case's audit trail in store order (its events in the order they were stored and chained), a page at a time. */
@Injectable()
export class CaseTrailQuery {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async page(caseId: string, after: number, limit: number): Promise<CaseTrailPage> {
    const rows = (await this.db.query(
      `SELECT seq, stored_at, hash, event FROM record WHERE case_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [caseId, after, limit + 1],
    )) as Array<{ seq: string; stored_at: Date; hash: string; event: Record<string, unknown> }>;
    const records = rows.slice(0, limit).map((r) => ({
      seq: Number(r.seq),
      storedAt: r.stored_at.toISOString(),
      hash: r.hash,
      event: r.event,
    }));
    const last = records.at(-1);
    return { caseId, records, next: rows.length > limit && last ? last.seq : null };
  }
}

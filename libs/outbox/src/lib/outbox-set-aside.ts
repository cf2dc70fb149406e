import type { DataSource } from 'typeorm';
import { outboxTables, type OutboxTables } from './outbox-tables';

/** A set-aside outbox message as an operator sees it: where it was going, why it was set aside, never its content. */
export interface SetAsideEntry {
  id: string;
  topic: string;
  /** The case's correlation id, to find the case, its ledger row or source event, and its audit trail. */
  correlationId: string;
  createdAt: Date;
  setAsideAt: Date;
  reason: string;
  /** Size of the stored key, value and headers as JSON. */
  bytes: number;
}

/**
 * What an operator does with messages the relay set aside (see OutboxRelay): list them, re-drive them once the cause
 * is fixed (the relay publishes them next, before newer messages, since it goes in id order; one that still cannot be
 * published is set aside again), or discard them when nothing downstream needs them (a writeback result the
 * reconciler can REPLAY from the ledger, an audit event already in the trail). Works on any schema with an outbox.
 */
export class OutboxSetAside {
  private readonly tables: OutboxTables;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.tables = outboxTables(schema);
  }

  /** Oldest first, `limit` at a time after `afterId`. */
  async list(limit = 100, afterId = '0'): Promise<SetAsideEntry[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, topic, headers ->> 'correlationId' AS correlation_id, created_at, set_aside_at, set_aside_reason,
              octet_length(key::text) + octet_length(value::text) + octet_length(headers::text) AS bytes
       FROM ${this.tables.outbox}
       WHERE set_aside_at IS NOT NULL AND id > $1::bigint
       ORDER BY id
       LIMIT $2`,
      [afterId, limit],
    )) as {
      id: string;
      topic: string;
      correlation_id: string;
      created_at: Date;
      set_aside_at: Date;
      set_aside_reason: string;
      bytes: number | string;
    }[];
    return rows.map((r) => ({
      id: String(r.id),
      topic: r.topic,
      correlationId: r.correlation_id,
      createdAt: r.created_at,
      setAsideAt: r.set_aside_at,
      reason: r.set_aside_reason,
      bytes: Number(r.bytes),
    }));
  }

  /** Hands set-aside messages back to the relay and wakes it; returns the ids that were set aside. */
  async redrive(ids: readonly string[]): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE ${this.tables.outbox} SET set_aside_at = NULL, set_aside_reason = NULL
         WHERE id = ANY ($1::bigint[]) AND set_aside_at IS NOT NULL
         RETURNING id`,
        [ids],
      )) as [{ id: string }[], number];
      // NOTIFY is delivered on commit, like the outbox trigger's own.
      if (rows.length > 0) await manager.query(`SELECT pg_notify($1, '')`, [this.tables.outboxChannel]);
      return rows.map((r) => String(r.id));
    });
  }

  /** Deletes set-aside messages for good; returns the ids deleted. A message that is not set aside is left alone. */
  async discard(ids: readonly string[]): Promise<string[]> {
    const [rows] = (await this.dataSource.query(
      `DELETE FROM ${this.tables.outbox} WHERE id = ANY ($1::bigint[]) AND set_aside_at IS NOT NULL RETURNING id`,
      [ids],
    )) as [{ id: string }[], number];
    return rows.map((r) => String(r.id));
  }
}

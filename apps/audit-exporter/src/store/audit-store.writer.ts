import type { DataSource, EntityManager } from 'typeorm';
import type { AuditEvent } from '@closeout/contracts';
import { AUDIT_WRITER_ROLE } from '../persistence/1797600000000-audit-store.migration';
import { canonicalJson } from './canonical-json';
import type { Checkpoint, CheckpointSigner } from './checkpoint-signing';
import { GENESIS_HASH, recordHash } from './record-chain';

export interface AuditStoreSettings {
  /** The store's PostgreSQL schema: one chain, one writer, per schema. */
  schema: string;
  /** A checkpoint once this many records are not yet covered by one. */
  checkpointEveryRecords: number;
  /** A checkpoint once the last one is this old and records came since. */
  checkpointEveryMs: number;
  /** Signs checkpoints; without it records are chained but no checkpoint is written. */
  signer?: CheckpointSigner;
  now?: () => number;
}

export interface AppendResult {
  /** Records stored by this call, in order. */
  stored: number;
  /** Events already in the store (or twice in the call), not stored again. */
  duplicates: number;
  lastSeq: number;
  checkpoint?: Checkpoint;
}

interface Tail {
  seq: number;
  hash: string;
}

interface LastCheckpoint {
  seq: number;
  lastRecordSeq: number;
  signature: string;
  signedAt: number;
}

/**
 * The store's single writer. Each call is one transaction that first takes a transaction-level advisory lock named
 * after the schema, so writers in several replicas (or several consumers in one) take turns: each reads the chain's
 * tail under the lock, drops the events already stored (by event id), numbers the rest from the tail on, chains them
 * in the order given and inserts them in one statement, then writes a signed checkpoint when one is due. The lock is
 * released by the commit or rollback, so a writer that dies holds nothing.
 */
export class AuditStoreWriter {
  private readonly now: () => number;
  private readonly lockKey: string;
  private readonly startedAt: number;
  private asWriterRole: boolean | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly settings: AuditStoreSettings,
  ) {
    this.now = settings.now ?? Date.now;
    this.lockKey = `closeout-audit-writer:${settings.schema}`;
    this.startedAt = this.now();
  }

  /** Stores the events (in the order given) that are not stored yet; one transaction. */
  async append(events: readonly AuditEvent[]): Promise<AppendResult> {
    return this.db.transaction(async (tx) => {
      await this.begin(tx);
      const { tail, stored, last } = await this.state(tx, events);
      const fresh = unstored(events, stored);
      let { seq, hash } = tail;
      const rows = { seq: [] as number[], eventId: [] as string[], caseId: [] as Array<string | null> };
      const more = { occurredAt: [] as string[], action: [] as string[], service: [] as string[] };
      const chain = { canonical: [] as string[], prevHash: [] as string[], hash: [] as string[] };
      for (const event of fresh) {
        const canonical = canonicalJson(event);
        seq += 1;
        const next = recordHash(hash, seq, canonical);
        rows.seq.push(seq);
        rows.eventId.push(event.eventId);
        rows.caseId.push(event.caseId);
        more.occurredAt.push(new Date(event.occurredAt).toISOString());
        more.action.push(event.action);
        more.service.push(event.service);
        chain.canonical.push(canonical);
        chain.prevHash.push(hash);
        chain.hash.push(next);
        hash = next;
      }
      if (fresh.length > 0)
        await tx.query(
          `INSERT INTO record (seq, event_id, case_id, occurred_at, action, service, event, canonical, prev_hash, hash)
           SELECT s, e, c, o, a, v, j::jsonb, j, p, h
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[]) AS t(s, e, c, o, a, v, j, p, h)`,
          [
            rows.seq,
            rows.eventId,
            rows.caseId,
            more.occurredAt,
            more.action,
            more.service,
            chain.canonical,
            chain.prevHash,
            chain.hash,
          ],
        );
      const checkpoint = await this.checkpointIfDue(tx, { seq, hash }, last, false);
      return {
        stored: fresh.length,
        duplicates: events.length - fresh.length,
        lastSeq: seq,
        ...(checkpoint ? { checkpoint } : {}),
      };
    });
  }

  /**
   * Writes a checkpoint over the records not covered yet when one is due (`force`: whenever there are any). The
   * service calls it on a timer, so a quiet store is still sealed within `checkpointEveryMs`.
   */
  async checkpoint(force = false): Promise<Checkpoint | undefined> {
    if (!this.settings.signer) return undefined;
    return this.db.transaction(async (tx) => {
      await this.begin(tx);
      const { tail, last } = await this.state(tx, []);
      return this.checkpointIfDue(tx, tail, last, force);
    });
  }

  private async begin(tx: EntityManager): Promise<void> {
    if (this.asWriterRole === undefined) {
      // Where the migration could create the writer's role, the writer runs as it: INSERT and SELECT only.
      const [row] = (await tx.query(
        `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER') AS ok`,
        [AUDIT_WRITER_ROLE],
      )) as Array<{ ok: boolean }>;
      this.asWriterRole = row?.ok === true;
    }
    // The role (as SET LOCAL ROLE does) and the lock in one round trip. The lock stays a statement of its own, before
    // any read: a statement's snapshot is taken when it starts, so a read in the statement that waited for the lock
    // could miss what the writer before it committed meanwhile, and fork the chain.
    await tx.query(
      `SELECT ${this.asWriterRole ? `set_config('role', $2, true), ` : ''}pg_advisory_xact_lock(hashtext($1))`,
      this.asWriterRole ? [this.lockKey, AUDIT_WRITER_ROLE] : [this.lockKey],
    );
  }

  /**
   * Under the lock, in one statement: the chain's tail, which of `events` are stored already (by event id) and the
   * last checkpoint. Nothing else writes meanwhile, so the checkpoint read here is still the last after the insert.
   */
  private async state(
    tx: EntityManager,
    events: readonly AuditEvent[],
  ): Promise<{ tail: Tail; stored: Set<string>; last: LastCheckpoint | undefined }> {
    const [row] = (await tx.query(
      `SELECT t.seq, t.hash, c.seq AS checkpoint_seq, c.last_record_seq, c.signature, c.signed_at,
              ARRAY(SELECT event_id FROM record WHERE event_id = ANY($1::text[])) AS stored
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (SELECT seq, hash FROM record ORDER BY seq DESC LIMIT 1) AS t ON true
       LEFT JOIN LATERAL (SELECT seq, last_record_seq, signature, signed_at FROM checkpoint ORDER BY seq DESC LIMIT 1)
         AS c ON true`,
      [[...new Set(events.map((e) => e.eventId))]],
    )) as Array<{
      seq: string | null;
      hash: string | null;
      checkpoint_seq: string | null;
      last_record_seq: string | null;
      signature: string | null;
      signed_at: Date | null;
      stored: string[];
    }>;
    return {
      tail:
        row?.seq != null && row.hash != null
          ? { seq: Number(row.seq), hash: row.hash }
          : { seq: 0, hash: GENESIS_HASH },
      stored: new Set(row?.stored ?? []),
      last:
        row?.checkpoint_seq != null && row.signed_at != null
          ? {
              seq: Number(row.checkpoint_seq),
              lastRecordSeq: Number(row.last_record_seq),
              signature: String(row.signature),
              signedAt: row.signed_at.getTime(),
            }
          : undefined,
    };
  }

  private async checkpointIfDue(
    tx: EntityManager,
    tail: Tail,
    last: LastCheckpoint | undefined,
    force: boolean,
  ): Promise<Checkpoint | undefined> {
    const signer = this.settings.signer;
    if (!signer || tail.seq === 0) return undefined;
    const unsealed = tail.seq - (last?.lastRecordSeq ?? 0);
    if (unsealed <= 0) return undefined;
    const now = this.now();
    const due =
      force ||
      unsealed >= this.settings.checkpointEveryRecords ||
      now - (last?.signedAt ?? this.startedAt) >= this.settings.checkpointEveryMs;
    if (!due) return undefined;
    const checkpoint = signer.sign({
      seq: (last?.seq ?? 0) + 1,
      lastRecordSeq: tail.seq,
      lastRecordHash: tail.hash,
      prevSignature: last?.signature ?? null,
      signedAt: new Date(now).toISOString(),
      keyId: signer.keyId,
    });
    await tx.query(
      `INSERT INTO checkpoint (seq, last_record_seq, last_record_hash, prev_signature, signed_at, key_id, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        checkpoint.seq,
        checkpoint.lastRecordSeq,
        checkpoint.lastRecordHash,
        checkpoint.prevSignature,
        checkpoint.signedAt,
        checkpoint.keyId,
        checkpoint.signature,
      ],
    );
    return checkpoint;
  }
}

/** The events not stored yet, first of each event id, in the order given. */
function unstored(events: readonly AuditEvent[], stored: ReadonlySet<string>): AuditEvent[] {
  const seen = new Set(stored);
  return events.filter((e) => !seen.has(e.eventId) && (seen.add(e.eventId), true));
}

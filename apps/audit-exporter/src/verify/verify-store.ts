import type { KeyObject } from 'node:crypto';
import { canonicalJson } from '../store/canonical-json';
import { checkpointSignatureValid, type Checkpoint } from '../store/checkpoint-signing';
import { GENESIS_HASH, recordHash } from '../store/record-chain';

/** Runs one SQL statement and returns its rows (a TypeORM DataSource's or EntityManager's `query`, pg's rows). */
export type RunQuery = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

export type BreakKind = 'altered' | 'deleted' | 'inserted' | 'reordered' | 'forged' | 'missing';

/** The first place the store stops proving itself, and why. */
export interface BrokenPosition {
  table: 'record' | 'checkpoint';
  seq: number;
  kind: BreakKind;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Records walked and found intact before the break (all of them when ok). */
  records: number;
  lastRecordSeq: number;
  checkpoints: number;
  lastCheckpointSeq: number;
  /** Records after the last checkpoint: chained, not yet covered by a signature. */
  unsealedRecords: number;
  /** Whether checkpoint signatures were checked (a public key was given). */
  signaturesChecked: boolean;
  broken?: BrokenPosition;
}

export interface VerifyOptions {
  schema: string;
  /** The Ed25519 public key checkpoints must verify with; without it only the chains are checked. */
  publicKey?: KeyObject;
  /** The key id checkpoints must name, when known. */
  keyId?: string;
  pageSize?: number;
}

interface RecordRow {
  seq: string;
  event_id: string;
  case_id: string | null;
  occurred_at: Date;
  action: string;
  service: string;
  event: Record<string, unknown>;
  canonical: string;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  seq: string;
  last_record_seq: string;
  last_record_hash: string;
  prev_signature: string | null;
  signed_at: Date;
  key_id: string;
  signature: string;
}

const quoted = (schema: string): string => `"${schema.replace(/"/g, '""')}"`;

/**
 * Walks the checkpoints, then the records, of one store and reports the first position that does not prove itself.
 * Needs read access and the public key only. Run it in one snapshot (REPEATABLE READ) so a writer appending meanwhile
 * does not move the ground under it: `verifyInSnapshot`.
 */
export async function verifyStore(query: RunQuery, options: VerifyOptions): Promise<VerifyReport> {
  const schema = quoted(options.schema);
  const checkpoints = (
    (await query(
      `SELECT seq, last_record_seq, last_record_hash, prev_signature, signed_at, key_id, signature
     FROM ${schema}.checkpoint ORDER BY seq`,
    )) as unknown as CheckpointRow[]
  ).map(toCheckpoint);
  const report: VerifyReport = {
    ok: false,
    records: 0,
    lastRecordSeq: 0,
    checkpoints: 0,
    lastCheckpointSeq: 0,
    unsealedRecords: 0,
    signaturesChecked: options.publicKey !== undefined,
  };
  const fail = (broken: BrokenPosition): VerifyReport => ({ ...report, ok: false, broken });

  // Checkpoints: numbered without gaps, each naming the signature before it, each signed by the key.
  const sealed = new Map<number, Checkpoint>();
  let previous: Checkpoint | undefined;
  for (const cp of checkpoints) {
    const expected = (previous?.seq ?? 0) + 1;
    if (cp.seq !== expected)
      return fail({
        table: 'checkpoint',
        seq: expected,
        kind: 'missing',
        reason: `checkpoints ${expected}–${cp.seq - 1} are missing`,
      });
    const signed = options.publicKey ? checkpointSignatureValid(cp, options.publicKey) : true;
    if (!signed || (options.keyId !== undefined && cp.keyId !== options.keyId))
      return fail({
        table: 'checkpoint',
        seq: cp.seq,
        kind: 'forged',
        reason: signed
          ? 'names a key id other than the public key given'
          : 'its signature does not verify with the public key',
      });
    if (cp.prevSignature !== (previous?.signature ?? null))
      return fail({
        table: 'checkpoint',
        seq: cp.seq,
        kind: 'missing',
        reason:
          'it names a previous signature that is not the checkpoint before it: a checkpoint was removed',
      });
    if (cp.lastRecordSeq <= (previous?.lastRecordSeq ?? 0))
      return fail({
        table: 'checkpoint',
        seq: cp.seq,
        kind: 'forged',
        reason: 'it covers no record after the checkpoint before it',
      });
    sealed.set(cp.lastRecordSeq, cp);
    previous = cp;
    report.checkpoints += 1;
    report.lastCheckpointSeq = cp.seq;
  }

  // Records: numbered without gaps, each canonical form matching its event, each hash chained to the one before.
  const pageSize = options.pageSize ?? 2000;
  let prevHash = GENESIS_HASH;
  let p = 1;
  for (;;) {
    const rows = (await query(
      `SELECT seq, event_id, case_id, occurred_at, action, service, event, canonical, prev_hash, hash
       FROM ${schema}.record WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [p, pageSize],
    )) as unknown as RecordRow[];
    for (const row of rows) {
      const broken = await checkRecord(query, schema, row, p, prevHash, sealed.get(p));
      if (broken) return fail(broken);
      prevHash = row.hash;
      report.records += 1;
      report.lastRecordSeq = p;
      p += 1;
    }
    if (rows.length < pageSize) break;
  }
  if (previous && previous.lastRecordSeq > report.lastRecordSeq)
    return fail({
      table: 'record',
      seq: report.lastRecordSeq + 1,
      kind: 'deleted',
      reason: `checkpoint ${previous.seq} covers records up to ${previous.lastRecordSeq}, the store ends at ${report.lastRecordSeq}`,
    });
  report.unsealedRecords = report.lastRecordSeq - (previous?.lastRecordSeq ?? 0);
  return { ...report, ok: true };
}

async function checkRecord(
  query: RunQuery,
  schema: string,
  row: RecordRow,
  p: number,
  prevHash: string,
  checkpoint: Checkpoint | undefined,
): Promise<BrokenPosition | undefined> {
  const at = (kind: BreakKind, reason: string, seq = p): BrokenPosition => ({
    table: 'record',
    seq,
    kind,
    reason,
  });
  const seq = Number(row.seq);
  if (seq !== p)
    return at('deleted', p === seq - 1 ? `record ${p} is missing` : `records ${p}–${seq - 1} are missing`);
  let canonical: string;
  try {
    canonical = canonicalJson(row.event);
  } catch {
    return at('altered', 'its event is not JSON the store writes');
  }
  if (canonical !== row.canonical) return at('altered', 'its event no longer matches its canonical form');
  const column = columnMismatch(row);
  if (column) return at('altered', `its ${column} column does not match its event`);
  const selfAt = (s: number): boolean => s >= 1 && recordHash(row.prev_hash, s, row.canonical) === row.hash;
  const linked = row.prev_hash === prevHash;
  if (linked && selfAt(p)) {
    if (!checkpoint || checkpoint.lastRecordHash === row.hash) return undefined;
    // Chained but not what was signed: the signed record may have been pushed along by one slipped in before it.
    const [signed] = (await query(`SELECT seq FROM ${schema}.record WHERE hash = $1 LIMIT 1`, [
      checkpoint.lastRecordHash,
    ])) as Array<{ seq: string }>;
    return signed && Number(signed.seq) > p
      ? at(
          'inserted',
          `it was not written here: the record checkpoint ${checkpoint.seq} signed at ${p} is now at ${signed.seq}`,
        )
      : at('altered', `its hash is not the one checkpoint ${checkpoint.seq} signed`);
  }
  if (linked) return at('altered', 'its hash does not match its content at this position');
  // The chain is cut before this record: find where the record that followed p-1 when it was written is now.
  const [successor] = (await query(
    `SELECT seq FROM ${schema}.record WHERE prev_hash = $1 AND seq > $2 ORDER BY seq LIMIT 1`,
    [prevHash, p],
  )) as Array<{ seq: string }>;
  if (successor) {
    const q = Number(successor.seq);
    return selfAt(p)
      ? at('inserted', `it was not written after record ${p - 1}: the record that was is now at ${q}`)
      : at(
          'reordered',
          `it was written at another position; the record written after ${p - 1} is now at ${q}`,
        );
  }
  if (selfAt(p + 1))
    return at('deleted', `the record written at ${p} is gone and the ones after it renumbered`);
  if (selfAt(p - 1))
    return at(
      'inserted',
      `record ${p - 1} was not written there: the record at ${p} was written at ${p - 1}`,
      p - 1,
    );
  if (selfAt(p))
    return at(
      'altered',
      `record ${p - 1} was changed and rehashed: record ${p} names another hash before it`,
      p - 1,
    );
  return at('altered', 'neither its hash nor its link to the record before it holds');
}

function columnMismatch(row: RecordRow): string | undefined {
  const event = row.event;
  if (row.event_id !== event['eventId']) return 'event_id';
  if (row.case_id !== (event['caseId'] ?? null)) return 'case_id';
  if (row.action !== event['action']) return 'action';
  if (row.service !== event['service']) return 'service';
  if (row.occurred_at.getTime() !== event['occurredAt']) return 'occurred_at';
  return undefined;
}

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    seq: Number(row.seq),
    lastRecordSeq: Number(row.last_record_seq),
    lastRecordHash: row.last_record_hash,
    prevSignature: row.prev_signature,
    signedAt: row.signed_at.toISOString(),
    keyId: row.key_id,
    signature: row.signature,
  };
}

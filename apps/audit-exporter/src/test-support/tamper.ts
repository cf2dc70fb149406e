/**
 * Plays the attacker with database superuser rights on an audit store: one tampering at a time, inside a transaction
 * with the append-only triggers switched off for that session (`session_replication_role = replica`, superuser only),
 * verified in that transaction with the public key alone, then rolled back. Used by the tamper spec and the figures
 * script. Not imported by the service.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { canonicalJson } from '../store/canonical-json';
import { checkpointSigner, type Checkpoint } from '../store/checkpoint-signing';
import { recordHash } from '../store/record-chain';
import { verifyStore, type BreakKind, type VerifyReport } from '../verify/verify-store';

export const TAMPER_KINDS = ['alter', 'delete', 'insert', 'reorder', 'forge-checkpoint'] as const;
export type TamperKind = (typeof TAMPER_KINDS)[number];

/** Where a tampering must be reported, and how. */
export interface Expected {
  table: 'record' | 'checkpoint';
  seq: number;
  kind: BreakKind;
  /** Which way it was done, for the figures. */
  variant: string;
}

export interface TrialResult {
  expected: Expected;
  report: VerifyReport;
  /** Reported at the right table and position. */
  position: boolean;
  /** …and named for what it was. */
  named: boolean;
}

/** Deterministic random numbers (mulberry32), so a failing trial can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (random: () => number, from: number, to: number): number =>
  from + Math.floor(random() * (to - from + 1));

interface StoreShape {
  records: number;
  checkpoints: number;
}

type Row = { event: Record<string, unknown>; canonical: string; prev_hash: string; hash: string };

async function recordAt(q: QueryRunner, schema: string, seq: number): Promise<Row> {
  const [row] = (await q.query(
    `SELECT event, canonical, prev_hash, hash FROM "${schema}".record WHERE seq = $1`,
    [seq],
  )) as Row[];
  if (!row) throw new Error(`no record ${seq}`);
  return row;
}

/**
 * Moves the records from `from` on by `by` places. The attacker first drops the indexes that hold `seq` (the
 * primary key would refuse the intermediate duplicates, and both make every moved row cost an index entry); the
 * rollback brings them back.
 */
async function shift(q: QueryRunner, schema: string, from: number, by: number): Promise<void> {
  await q.query(`ALTER TABLE "${schema}".record DROP CONSTRAINT record_pkey`);
  await q.query(`DROP INDEX "${schema}".record_case_ix`);
  await q.query(`UPDATE "${schema}".record SET seq = seq + $2 WHERE seq >= $1`, [from, by]);
}

async function alter(
  q: QueryRunner,
  schema: string,
  shape: StoreShape,
  random: () => number,
): Promise<Expected> {
  const seq = pick(random, 1, shape.records);
  const row = await recordAt(q, schema, seq);
  const event = { ...row.event, reason: `rewritten ${randomUUID()}` };
  const variant = ['event only', 'event and canonical', 'event, canonical and its hash'][pick(random, 0, 2)]!;
  const canonical = variant === 'event only' ? row.canonical : canonicalJson(event);
  const hash =
    variant === 'event, canonical and its hash' ? recordHash(row.prev_hash, seq, canonical) : row.hash;
  await q.query(`UPDATE "${schema}".record SET event = $1::jsonb, canonical = $2, hash = $3 WHERE seq = $4`, [
    JSON.stringify(event),
    canonical,
    hash,
    seq,
  ]);
  return { table: 'record', seq, kind: 'altered', variant };
}

async function remove(
  q: QueryRunner,
  schema: string,
  shape: StoreShape,
  random: () => number,
): Promise<Expected> {
  const seq = pick(random, 1, shape.records);
  const renumber = random() < 0.5;
  await q.query(`DELETE FROM "${schema}".record WHERE seq = $1`, [seq]);
  if (renumber) await shift(q, schema, seq + 1, -1);
  return {
    table: 'record',
    seq,
    kind: 'deleted',
    variant: renumber ? 'deleted, later ones renumbered' : 'deleted',
  };
}

async function insert(
  q: QueryRunner,
  schema: string,
  shape: StoreShape,
  random: () => number,
): Promise<Expected> {
  const seq = pick(random, 1, shape.records);
  const linked = random() < 0.5;
  const neighbour = await recordAt(q, schema, seq);
  const prevHash = linked ? neighbour.prev_hash : recordHash('f'.repeat(64), seq, 'forged');
  const event: Record<string, unknown> = {
    ...neighbour.event,
    eventId: randomUUID(),
    action: 'case.completed',
    reason: 'forged',
  };
  const canonical = canonicalJson(event);
  await shift(q, schema, seq, 1);
  await q.query(
    `INSERT INTO "${schema}".record (seq, event_id, case_id, occurred_at, action, service, event, canonical, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10)`,
    [
      seq,
      event['eventId'],
      event['caseId'] ?? null,
      new Date(event['occurredAt'] as number).toISOString(),
      event['action'],
      event['service'],
      canonical,
      canonical,
      prevHash,
      recordHash(prevHash, seq, canonical),
    ],
  );
  return {
    table: 'record',
    seq,
    kind: 'inserted',
    variant: linked ? 'inserted, chained to its predecessor' : 'inserted, unchained',
  };
}

async function reorder(
  q: QueryRunner,
  schema: string,
  shape: StoreShape,
  random: () => number,
): Promise<Expected> {
  const a = pick(random, 1, shape.records - 1);
  const adjacent = random() < 0.3;
  const b = adjacent ? a + 1 : pick(random, a + 1, shape.records);
  await q.query(
    `UPDATE "${schema}".record SET seq = CASE seq WHEN $1 THEN -$2::bigint ELSE -$1::bigint END WHERE seq IN ($1, $2)`,
    [a, b],
  );
  await q.query(`UPDATE "${schema}".record SET seq = -seq WHERE seq < 0`);
  return {
    table: 'record',
    seq: a,
    kind: 'reordered',
    variant: b === a + 1 ? 'neighbours swapped' : 'two swapped',
  };
}

async function forgeCheckpoint(
  q: QueryRunner,
  schema: string,
  shape: StoreShape,
  random: () => number,
): Promise<Expected> {
  const variant = ['statement changed', 're-signed with another key', 'signature changed', 'removed'][
    pick(random, 0, 3)
  ]!;
  // The last checkpoint's removal leaves a valid shorter chain (its records just count as not yet sealed).
  const seq = pick(random, 1, variant === 'removed' ? shape.checkpoints - 1 : shape.checkpoints);
  if (variant === 'removed') {
    await q.query(`DELETE FROM "${schema}".checkpoint WHERE seq = $1`, [seq]);
    return { table: 'checkpoint', seq, kind: 'missing', variant };
  }
  const [row] = (await q.query(
    `SELECT last_record_seq, last_record_hash, prev_signature, signed_at, key_id, signature
     FROM "${schema}".checkpoint WHERE seq = $1`,
    [seq],
  )) as Array<{
    last_record_seq: string;
    last_record_hash: string;
    prev_signature: string | null;
    signed_at: Date;
    key_id: string;
    signature: string;
  }>;
  if (!row) throw new Error(`no checkpoint ${seq}`);
  const other = await recordAt(q, schema, pick(random, 1, Number(row.last_record_seq)));
  let update: Partial<Checkpoint>;
  if (variant === 'statement changed') update = { lastRecordHash: other.hash };
  else if (variant === 'signature changed') {
    const bytes = Buffer.from(row.signature, 'base64');
    bytes[pick(random, 0, bytes.length - 1)]! ^= 1 << pick(random, 0, 7);
    update = { signature: bytes.toString('base64') };
  } else {
    const attacker = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    update = checkpointSigner(attacker, row.key_id).sign({
      seq,
      lastRecordSeq: Number(row.last_record_seq),
      lastRecordHash: other.hash,
      prevSignature: row.prev_signature,
      signedAt: row.signed_at.toISOString(),
      keyId: row.key_id,
    });
  }
  await q.query(`UPDATE "${schema}".checkpoint SET last_record_hash = $1, signature = $2 WHERE seq = $3`, [
    update.lastRecordHash ?? row.last_record_hash,
    update.signature ?? row.signature,
    seq,
  ]);
  return { table: 'checkpoint', seq, kind: 'forged', variant };
}

const TAMPER: Record<
  TamperKind,
  (q: QueryRunner, schema: string, shape: StoreShape, random: () => number) => Promise<Expected>
> = { alter, delete: remove, insert, reorder, 'forge-checkpoint': forgeCheckpoint };

/** One tampering, verified, undone. */
export async function tamperOnce(
  db: DataSource,
  schema: string,
  publicKey: KeyObject,
  kind: TamperKind,
  shape: StoreShape,
  random: () => number,
): Promise<TrialResult> {
  const q = db.createQueryRunner();
  await q.connect();
  try {
    await q.query('BEGIN');
    // Superuser only: the triggers that keep the store append-only do not fire for this session.
    await q.query(`SET LOCAL session_replication_role = replica`);
    const expected = await TAMPER[kind](q, schema, shape, random);
    const report = await verifyStore((sql, params) => q.query(sql, params), { schema, publicKey });
    const broken = report.broken;
    const position = broken !== undefined && broken.table === expected.table && broken.seq === expected.seq;
    return { expected, report, position, named: position && broken.kind === expected.kind };
  } finally {
    await q.query('ROLLBACK').catch(() => undefined);
    await q.release();
  }
}

export interface KindFigures {
  kind: TamperKind;
  trials: number;
  detected: number;
  rightPosition: number;
  rightlyNamed: number;
  variants: Record<string, number>;
  /** The first trial that was not reported at the right position and kind, to replay. */
  firstMiss?: { expected: Expected; broken: VerifyReport['broken'] };
  meanVerifyMs: number;
}

/** `trials` tamperings of each kind on a sealed store; the figures per kind. */
export async function tamperTrials(
  db: DataSource,
  schema: string,
  publicKey: KeyObject,
  shape: StoreShape,
  trials: number,
  seed: number,
): Promise<KindFigures[]> {
  const random = seededRandom(seed);
  const figures: KindFigures[] = [];
  for (const kind of TAMPER_KINDS) {
    const f: KindFigures = {
      kind,
      trials,
      detected: 0,
      rightPosition: 0,
      rightlyNamed: 0,
      variants: {},
      meanVerifyMs: 0,
    };
    const started = performance.now();
    for (let i = 0; i < trials; i++) {
      const result = await tamperOnce(db, schema, publicKey, kind, shape, random);
      // A rolled-back renumbering leaves a dead copy of every row it moved: cleared, so trials do not slow down.
      if (kind === 'delete' || kind === 'insert') await db.query(`VACUUM "${schema}".record`);
      f.variants[result.expected.variant] = (f.variants[result.expected.variant] ?? 0) + 1;
      if (!result.report.ok) f.detected += 1;
      if (result.position) f.rightPosition += 1;
      if (result.named) f.rightlyNamed += 1;
      else f.firstMiss ??= { expected: result.expected, broken: result.report.broken };
    }
    f.meanVerifyMs = (performance.now() - started) / trials;
    figures.push(f);
  }
  return figures;
}

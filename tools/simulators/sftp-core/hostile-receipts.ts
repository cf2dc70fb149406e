/**
 * TEST DOUBLE — part of the simulated SFTP batch core (tools/simulators/sftp-core), which stands in for a bank's
 * batch system of record in tests and demos. Not production code.
 *
 * What a hostile batch core writes into a receipt beyond the truth: records for keys that were not in the batch,
 * contradicting copies of a record, a receipt padded past any sane size or cut off halfway. None of it touches the
 * journal: the journal and the posting report stay the proof of what was really posted.
 */
import type { Receipt, ReceiptRecord } from './file-protocol';

/** References in the shape of real ones (`pay_` + 8 digits) that name no posting, so a client cannot tell by form. */
export class MadeUpRefs {
  private next = 90_000_000;

  take(): string {
    const ref = `pay_${this.next}`;
    this.next += 1;
    return ref;
  }
}

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;

export type Contradiction = 'hard_fail' | 'other_ref' | 'no_ref';
const CONTRADICTIONS: readonly Contradiction[] = ['hard_fail', 'other_ref', 'no_ref'];

/**
 * A second answer for `record` that contradicts it: a posting that also failed (`hard_fail`), also got a made-up
 * reference (`other_ref`) or none (`no_ref`) — `kind`, or one at random; a failure that also posted.
 */
export function contradictingCopy(
  record: ReceiptRecord,
  random: () => number,
  madeUp: MadeUpRefs,
  kind: Contradiction = pick(CONTRADICTIONS, random),
): ReceiptRecord {
  const { idempotencyKey, line } = record;
  if (record.outcome === 'SOFT_FAIL' || record.outcome === 'HARD_FAIL')
    return { idempotencyKey, line, outcome: 'POSTED', providerRef: madeUp.take() };
  switch (kind) {
    case 'hard_fail':
      return {
        idempotencyKey,
        line,
        outcome: 'HARD_FAIL',
        code: 'ACCOUNT_CLOSED',
        message: 'account closed: this record will never be posted',
      };
    case 'other_ref':
      return { idempotencyKey, line, outcome: 'POSTED', providerRef: madeUp.take() };
    case 'no_ref':
      return { idempotencyKey, line, outcome: 'POSTED' };
  }
}

/** Keys a hostile core can misreport, most harmful first. */
export interface ForeignKeyPools {
  /** Keys in other batches still waiting in inbound: the client has them in flight. */
  waiting: readonly string[];
  /** Keys the core saw and did not post (failed, or cut off by a partial ingest): the client will send them again. */
  unposted: readonly string[];
  /** Keys the core posted from other batches. */
  posted: readonly string[];
}

/**
 * `n` records for keys that are not in the batch, numbered after its last line: claimed POSTED under made-up
 * references (a quarter of the in-flight and unposted ones HARD_FAIL instead); keys nobody sent when the pools run dry.
 */
export function foreignRecords(
  n: number,
  pools: ForeignKeyPools,
  random: () => number,
  madeUp: MadeUpRefs,
  firstLine: number,
): ReceiptRecord[] {
  const chosen = new Set<string>();
  const records: ReceiptRecord[] = [];
  const add = (idempotencyKey: string, mayFail: boolean): void => {
    chosen.add(idempotencyKey);
    const line = firstLine + records.length;
    records.push(
      mayFail && random() < 0.25
        ? {
            idempotencyKey,
            line,
            outcome: 'HARD_FAIL',
            code: 'ACCOUNT_CLOSED',
            message: 'account closed: this record will never be posted',
          }
        : { idempotencyKey, line, outcome: 'POSTED', providerRef: madeUp.take() },
    );
  };
  for (const [pool, mayFail] of [
    [pools.waiting, true],
    [pools.unposted, true],
    [pools.posted, false],
  ] as const) {
    const left = pool.filter((k) => !chosen.has(k));
    while (records.length < n && left.length > 0) {
      const index = Math.floor(random() * left.length);
      add(left.splice(index, 1)[0]!, mayFail);
    }
  }
  while (records.length < n) add(`foreign-${madeUp.take()}`, false);
  return records;
}

/** Inserts `extra` records at random places among `records`. */
export function scatter(
  records: readonly ReceiptRecord[],
  extra: readonly ReceiptRecord[],
  random: () => number,
): ReceiptRecord[] {
  const out = [...records];
  for (const record of extra) out.splice(Math.floor(random() * (out.length + 1)), 0, record);
  return out;
}

/** The receipt's JSON with every record's message (or the reason) padded until the text is past `padBytes`. */
export function paddedReceiptText(receipt: Receipt, padBytes: number): string {
  const plain = JSON.stringify(receipt);
  const missing = Math.max(0, padBytes - Buffer.byteLength(plain)) + 1;
  if (receipt.records.length === 0)
    return JSON.stringify({ ...receipt, reason: `${receipt.reason ?? ''}${'x'.repeat(missing)}` });
  const each = Math.ceil(missing / receipt.records.length);
  return JSON.stringify({
    ...receipt,
    records: receipt.records.map((r) => ({ ...r, message: `${r.message ?? ''}${'x'.repeat(each)}` })),
  });
}

/** The first half of the text: what a writer that died mid-write leaves, not JSON. */
export const garbledText = (text: string): string => text.slice(0, Math.floor(text.length / 2));

import { z } from 'zod';
import { boundedText, plausibleProviderRef } from '@closeout/writeback-core';

/**
 * What a batch core's receipt may tell about the batch it answers, and nothing more. A receipt is the core's word,
 * not the truth: a record for a key the batch did not carry is refused, a receipt naming another batch is not this
 * batch's answer, and a record the receipt contradicts (listed twice with different answers, POSTED without a
 * reference, at a line where the batch has another key, left out of a PROCESSED batch) is an unknown outcome —
 * resolved by lookup, never taken as a failure of something that may have been posted.
 */

export const RECEIPT_OUTCOMES = ['POSTED', 'DUPLICATE', 'SOFT_FAIL', 'HARD_FAIL'] as const;

/** Why a record's outcome is unknown after its receipt; the attempt's provider code, so the ledger shows it. */
export type ReceiptDoubt = 'RECEIPT_UNREADABLE' | 'RECEIPT_NOT_OURS' | 'RECEIPT_CONTRADICTION';

/** One record of the batch as uploaded: its key and CSV line (the header is line 1). */
export interface BatchMember {
  idempotencyKey: string;
  line: number;
}

export type RecordVerdict =
  | { kind: 'posted'; providerRef: string; replayed: boolean }
  | { kind: 'soft_fail'; code: string; message: string }
  | { kind: 'hard_fail'; code: string; message: string }
  /** A PARTIAL receipt leaves it out: the core stopped before it. */
  | { kind: 'not_reached' }
  /** The whole batch was REJECTED: nothing in it was posted. */
  | { kind: 'rejected'; reason: string }
  | { kind: 'unknown'; doubt: ReceiptDoubt; reason: string };

export interface ReceiptJudgement {
  /** One verdict per member key. */
  verdicts: Map<string, RecordVerdict>;
  /** Records refused because their key was not in the batch, and a few of those keys (bounded) for the log. */
  foreign: { count: number; sample: string[] };
  /** Records refused because no key could be read from them. */
  unreadableRecords: number;
  /** Member keys the receipt contradicted itself about, with why (the first few, for the log). */
  contradictions: Array<{ idempotencyKey: string; reason: string }>;
}

/** Characters kept of a core's error message, and of its code (which must look like one). */
export const MAX_CORE_MESSAGE_CHARS = 500;
const MAX_CORE_CODE_CHARS = 64;
const MAX_KEY_CHARS = 255;
const LOG_SAMPLE = 10;

/** Text from the core, without control characters and cut to `max`, before it reaches the ledger, a log or Kafka. */
export function boundedCoreText(value: unknown, max: number): string | undefined {
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' ? boundedText(value.replace(/[\x00-\x1f\x7f]/g, ' '), max) : undefined;
}

/** A core's failure code as an identifier (it becomes the attempt's provider code), or the outcome when there is none. */
const coreCode = (value: unknown, fallback: string): string =>
  typeof value === 'string' && value.length > 0
    ? value.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MAX_CORE_CODE_CHARS)
    : fallback;

const envelopeSchema = z.object({
  batchId: z.string(),
  status: z.enum(['PROCESSED', 'PARTIAL', 'REJECTED']),
  reason: z.unknown().optional(),
  records: z.array(z.unknown()),
});

const recordSchema = z.object({
  idempotencyKey: z.string().min(1).max(MAX_KEY_CHARS),
  outcome: z.enum(RECEIPT_OUTCOMES),
  line: z.int().optional(),
  providerRef: z.unknown().optional(),
  code: z.unknown().optional(),
  message: z.unknown().optional(),
});

/** One record's claim about a member key, or why the claim itself is broken. */
type Claim =
  | { kind: 'posted'; providerRef: string; replayed: boolean; says: string }
  | { kind: 'soft_fail' | 'hard_fail'; code: string; message: string; says: string }
  | { kind: 'broken'; says: string };

const all = (members: readonly BatchMember[], verdict: RecordVerdict): Map<string, RecordVerdict> =>
  new Map(members.map((m) => [m.idempotencyKey, verdict]));

/** The verdicts a receipt file supports for the batch `batchId` made of `members`. */
export function judgeReceipt(
  data: Buffer,
  batchId: string,
  members: readonly BatchMember[],
): ReceiptJudgement {
  const judgement: ReceiptJudgement = {
    verdicts: new Map(),
    foreign: { count: 0, sample: [] },
    unreadableRecords: 0,
    contradictions: [],
  };
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch (error) {
    judgement.verdicts = all(members, {
      kind: 'unknown',
      doubt: 'RECEIPT_UNREADABLE',
      reason: `receipt is not JSON (${boundedCoreText((error as Error).message, 120)})`,
    });
    return judgement;
  }
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    const issues = envelope.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    judgement.verdicts = all(members, {
      kind: 'unknown',
      doubt: 'RECEIPT_UNREADABLE',
      reason: `receipt is not a receipt (${boundedCoreText(issues, 200)})`,
    });
    return judgement;
  }
  const receipt = envelope.data;
  if (receipt.batchId !== batchId) {
    judgement.verdicts = all(members, {
      kind: 'unknown',
      doubt: 'RECEIPT_NOT_OURS',
      reason: `receipt for batch ${batchId} names batch "${boundedCoreText(receipt.batchId, MAX_KEY_CHARS)}"`,
    });
    return judgement;
  }
  if (receipt.status === 'REJECTED') {
    judgement.verdicts =
      receipt.records.length === 0
        ? all(members, {
            kind: 'rejected',
            reason: boundedCoreText(receipt.reason, MAX_CORE_MESSAGE_CHARS) ?? 'no reason given',
          })
        : all(members, {
            kind: 'unknown',
            doubt: 'RECEIPT_CONTRADICTION',
            reason: `receipt says REJECTED (nothing posted) yet lists ${receipt.records.length} record(s)`,
          });
    return judgement;
  }

  const lineOf = new Map(members.map((m) => [m.idempotencyKey, m.line]));
  const claims = new Map<string, Claim[]>();
  for (const entry of receipt.records) {
    const key = (entry as { idempotencyKey?: unknown } | null)?.idempotencyKey;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_CHARS) {
      judgement.unreadableRecords += 1;
      continue;
    }
    const line = lineOf.get(key);
    if (line === undefined) {
      judgement.foreign.count += 1;
      if (judgement.foreign.sample.length < LOG_SAMPLE) judgement.foreign.sample.push(key);
      continue;
    }
    claims.set(key, [...(claims.get(key) ?? []), claimOf(entry, line)]);
  }

  for (const { idempotencyKey } of members) {
    const verdict = verdictOf(claims.get(idempotencyKey) ?? [], receipt.status);
    judgement.verdicts.set(idempotencyKey, verdict);
    if (verdict.kind === 'unknown' && judgement.contradictions.length < LOG_SAMPLE)
      judgement.contradictions.push({ idempotencyKey, reason: verdict.reason });
  }
  return judgement;
}

function claimOf(entry: unknown, line: number): Claim {
  const parsed = recordSchema.safeParse(entry);
  if (!parsed.success)
    return {
      kind: 'broken',
      says: `an unreadable record (${boundedCoreText(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        200,
      )})`,
    };
  const r = parsed.data;
  if (r.line !== undefined && r.line !== line)
    return {
      kind: 'broken',
      says: `${r.outcome} at line ${r.line}, where the batch has another record (its line is ${line})`,
    };
  switch (r.outcome) {
    case 'POSTED':
    case 'DUPLICATE': {
      const providerRef = plausibleProviderRef(r.providerRef);
      return providerRef === undefined
        ? { kind: 'broken', says: `${r.outcome} without a usable providerRef` }
        : {
            kind: 'posted',
            providerRef,
            replayed: r.outcome === 'DUPLICATE',
            says: `${r.outcome} ${providerRef}`,
          };
    }
    case 'SOFT_FAIL':
    case 'HARD_FAIL': {
      const code = coreCode(r.code, r.outcome);
      return {
        kind: r.outcome === 'SOFT_FAIL' ? 'soft_fail' : 'hard_fail',
        code,
        message: boundedCoreText(r.message, MAX_CORE_MESSAGE_CHARS) ?? '',
        says: `${r.outcome} ${code}`,
      };
    }
  }
}

function verdictOf(claims: readonly Claim[], status: 'PROCESSED' | 'PARTIAL'): RecordVerdict {
  const contradiction = (reason: string): RecordVerdict => ({
    kind: 'unknown',
    doubt: 'RECEIPT_CONTRADICTION',
    reason,
  });
  if (claims.length === 0)
    return status === 'PARTIAL'
      ? { kind: 'not_reached' }
      : contradiction('receipt says PROCESSED but does not mention this record');
  const broken = claims.find((c) => c.kind === 'broken');
  if (broken) return contradiction(`receipt lists ${broken.says}`);
  // POSTED and DUPLICATE under one reference say the same thing: posted once, as that reference.
  const meaning = (c: Claim): string => (c.kind === 'posted' ? `posted ${c.providerRef}` : c.kind);
  if (new Set(claims.map(meaning)).size > 1)
    return contradiction(
      `receipt lists this record ${claims.length} times: ${claims
        .slice(0, 4)
        .map((c) => c.says)
        .join(', ')}${claims.length > 4 ? ', …' : ''}`,
    );
  const first = claims[0]!;
  switch (first.kind) {
    case 'posted':
      return {
        kind: 'posted',
        providerRef: first.providerRef,
        replayed: claims.every((c) => c.kind === 'posted' && c.replayed),
      };
    case 'soft_fail':
    case 'hard_fail':
      return { kind: first.kind, code: first.code, message: first.message };
    case 'broken':
      return contradiction(`receipt lists ${first.says}`);
  }
}

/**
 * TEST DOUBLE — part of the simulated SFTP batch core (tools/simulators/sftp-core), which stands in for a bank's
 * batch system of record in tests and demos. Not production code.
 *
 * Fault injection: scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched
 * to a destination, a batch id or (record faults only) an idempotency key. Batch faults are decided once per batch,
 * record faults once per record that would otherwise post.
 */
import { z } from 'zod';
import { faultRuleSchemaOf, faultShorthandOf, CoreFaultBook } from '@closeout/simulators/shared';

export { seededRandom } from '@closeout/simulators/shared';

export const FAULT_MODES = [
  /** Stop after `afterRecords` records, as if the core crashed mid-file: a PARTIAL receipt lists only those. */
  'partial_ingest',
  /** Fail this record softly (default `ACCOUNT_LOCKED`): the same key may be replayed in a later batch. */
  'soft_fail',
  /** Fail this record hard (default `ACCOUNT_CLOSED`): the core answers the same for this key forever. */
  'hard_fail',
  /** Post as usual, but write the receipt only after `delayMs`. */
  'delay_receipt',
  /** Post as usual, but never write a receipt: the client must treat the batch as unknown. */
  'no_receipt',
  /** Pretend the file's SHA-256 differs from the manifest: the batch is REJECTED, nothing posted. */
  'checksum_mismatch',
  /**
   * The receipt also lists `foreignRecords` records for keys that are not in the batch — keys waiting in other
   * batches, keys the core failed or never reached, keys it posted elsewhere, keys nobody sent — claimed POSTED under
   * made-up references (some HARD_FAIL). Nothing extra is posted: the journal shows the truth.
   */
  'foreign_receipt_records',
  /**
   * Per record: the receipt lists this record twice with contradicting answers, in random order — a posting also as
   * HARD_FAIL, as POSTED under a made-up reference or as POSTED without one; a failure also as POSTED under a made-up
   * reference. The journal shows what really happened.
   */
  'contradicting_receipt',
  /**
   * The core posts the batch and writes its receipt, then "crashes" before moving the files, losing its de-duplication
   * memory of the batch's keys; on the next scan it ingests the batch again, posts those records a second time and
   * rewrites the receipt. Both postings are in the journal (the second marked `repostOf`) and the posting report.
   */
  'reingest_after_crash',
  /** The receipt file is cut off halfway (not JSON), as a writer that died mid-write would leave it. Posted as usual. */
  'garbled_receipt',
  /** Each receipt record's message is padded so the receipt grows past `padBytes` bytes. Posted as usual. */
  'oversized_receipt',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

/** Modes decided per record; the rest are decided per batch. */
export const RECORD_FAULT_MODES = [
  'soft_fail',
  'hard_fail',
  'contradicting_receipt',
] as const satisfies readonly FaultMode[];
export type RecordFaultMode = (typeof RECORD_FAULT_MODES)[number];

function isRecordFaultMode(mode: FaultMode): mode is RecordFaultMode {
  return (RECORD_FAULT_MODES as readonly FaultMode[]).includes(mode);
}

/** A rule's `count`: the next N matching batches (batch faults) or records (record faults); `rate`: each with that chance. */
export const faultRuleSchema = faultRuleSchemaOf(FAULT_MODES, {
  match: z
    .strictObject({
      destination: z.string().min(1).optional(),
      batchId: z.string().min(1).optional(),
      idempotencyKey: z.string().min(1).optional(),
    })
    .optional(),
  /** `partial_ingest`: how many records the core gets through before it "crashes". */
  afterRecords: z.int().min(0).optional(),
  /** `delay_receipt`: how long the receipt is held back. */
  delayMs: z.int().min(0).optional(),
  /** `foreign_receipt_records`: how many records for keys not in the batch the receipt lists (default 3). */
  foreignRecords: z.int().min(1).max(1_000).optional(),
  /**
   * `contradicting_receipt`: what the extra copy of a posted record says — also HARD_FAIL, also POSTED under a
   * made-up reference, or POSTED without one (default: one of them at random). A failed record's copy is always a
   * made-up POSTED.
   */
  contradiction: z.enum(['hard_fail', 'other_ref', 'no_ref']).optional(),
  /** `oversized_receipt`: the size the receipt is padded past, in bytes (default 17 MiB, over a 16 MiB cap). */
  padBytes: z
    .int()
    .min(1)
    .max(256 * 1024 * 1024)
    .optional(),
  /** `soft_fail` / `hard_fail`: the failure code and message the receipt carries. */
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, 'must be UPPER_SNAKE_CASE')
    .optional(),
  message: z.string().min(1).optional(),
})
  .refine((r) => r.mode !== 'partial_ingest' || r.afterRecords !== undefined, {
    path: ['afterRecords'],
    message: 'is required for partial_ingest (records ingested before the simulated crash)',
  })
  // A batch-level fault is decided before any record is looked at, so a key could never match it.
  .refine((r) => isRecordFaultMode(r.mode) || r.match?.idempotencyKey === undefined, {
    path: ['match', 'idempotencyKey'],
    message: `only ${RECORD_FAULT_MODES.join(', ')} are decided per record; batch faults match destination or batchId`,
  });

export type FaultRule = z.infer<typeof faultRuleSchema>;

export interface FaultContext {
  destination: string;
  batchId: string;
  /** Absent while deciding batch faults. */
  idempotencyKey?: string;
}

/**
 * The core's active faults: the shared rule book with this core's modes and batch/record context. Every fault is
 * decided for one batch or one record, and a counted rule is consumed when it fires.
 */
export class FaultBook extends CoreFaultBook<FaultRule, FaultContext> {
  constructor(random: () => number) {
    super(random, faultRuleSchema, matches);
  }

  /**
   * The first rule of `mode` that fires for this batch or record; a counted rule is consumed. `applies` lets the
   * caller skip a rule that would change nothing here (partial_ingest past the last record), so its count is kept
   * for a batch where it bites.
   */
  take(
    mode: FaultMode,
    ctx: FaultContext,
    applies: (rule: FaultRule) => boolean = () => true,
  ): FaultRule | undefined {
    return this.book.take((m) => m === mode, ctx, true, applies);
  }
}

function matches(rule: FaultRule, ctx: FaultContext): boolean {
  const { match } = rule;
  if (!match) return true;
  if (match.destination !== undefined && match.destination !== ctx.destination) return false;
  if (match.batchId !== undefined && match.batchId !== ctx.batchId) return false;
  if (match.idempotencyKey !== undefined && match.idempotencyKey !== ctx.idempotencyKey) return false;
  return true;
}

/** The shorthand's `:N` parameter, per mode that takes one. */
const SHORTHAND_PARAMS: Partial<
  Record<FaultMode, 'afterRecords' | 'delayMs' | 'foreignRecords' | 'padBytes'>
> = {
  partial_ingest: 'afterRecords',
  delay_receipt: 'delayMs',
  foreign_receipt_records: 'foreignRecords',
  oversized_receipt: 'padBytes',
};

/**
 * Parses the CLI/env shorthand: `mode` (standing), `mode@0.1` (rate), `mode*3` (count), each optionally with a
 * parameter `mode:N` (`afterRecords` of partial_ingest, `delayMs` of delay_receipt, `foreignRecords` of
 * foreign_receipt_records, `padBytes` of oversized_receipt), comma-separated, e.g.
 * `soft_fail@0.05,partial_ingest:2*1,delay_receipt:5000@0.1`.
 */
export const parseFaultShorthand: (text: string) => FaultRule[] = faultShorthandOf(
  faultRuleSchema,
  SHORTHAND_PARAMS,
);

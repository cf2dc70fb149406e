/**
 * TEST DOUBLE — part of the simulated SFTP batch core (tools/simulators/sftp-core), which stands in for a bank's
 * batch system of record in tests and demos. Not production code.
 *
 * The file protocol between Closeout's writeback-sftp and the core: folder names, the manifest, the receipt and
 * the `payments-v1` CSV layout. Kept free of I/O so the uploader's side can be checked against the same shapes.
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

export const FOLDERS = ['inbound', 'processed', 'rejected', 'receipts', 'outbound'] as const;
export type Folder = (typeof FOLDERS)[number];

/** Uploads in progress end in this; the core never touches them. */
export const PART_SUFFIX = '.part';
export const CSV_SUFFIX = '.csv';
export const MANIFEST_SUFFIX = '.manifest.json';
export const RECEIPT_SUFFIX = '.receipt.json';

/** Letters, digits, `_`, `-`, `.` (not first): safe as a file name on every side and never a `.part` lookalike. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
/** Destination folder names: the same rule, so a destination can never climb out of the root. */
export const DESTINATION_PATTERN = BATCH_ID_PATTERN;

export const LAYOUT_PAYMENTS_V1 = 'payments-v1';
export const LAYOUT_VERSIONS = [LAYOUT_PAYMENTS_V1] as const;
export type LayoutVersion = (typeof LAYOUT_VERSIONS)[number];

export const PAYMENTS_V1_COLUMNS = [
  'idempotency_key',
  'record_type',
  'account_number',
  'amount_minor',
  'currency',
  'reference',
] as const;

export const manifestSchema = z.strictObject({
  batchId: z.string().regex(BATCH_ID_PATTERN, 'must match [A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}'),
  layoutVersion: z.string().min(1),
  recordCount: z.int().min(0),
  byteSize: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const BATCH_STATUSES = ['PROCESSED', 'PARTIAL', 'REJECTED'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const RECORD_OUTCOMES = ['POSTED', 'DUPLICATE', 'SOFT_FAIL', 'HARD_FAIL'] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];

export interface ReceiptRecord {
  idempotencyKey: string;
  /** 1-based line number in the CSV file (the header is line 1, so the first record is line 2). */
  line: number;
  outcome: RecordOutcome;
  /** POSTED: the new posting's reference; DUPLICATE: the original posting's reference. */
  providerRef?: string;
  /** SOFT_FAIL / HARD_FAIL: why, e.g. `ACCOUNT_LOCKED`, `ACCOUNT_CLOSED`, `INVALID_RECORD`. */
  code?: string;
  message?: string;
}

export interface Receipt {
  batchId: string;
  status: BatchStatus;
  /** REJECTED only: which check failed, naming the field and the rule. */
  reason?: string;
  /** Empty for REJECTED; for PARTIAL only the records the core got through. */
  records: ReceiptRecord[];
}

export interface PaymentRecord {
  recordType: 'PAYMENT';
  idempotencyKey: string;
  accountNumber: string;
  /** Integer minor units, kept as the digits the file carried so no float ever touches money. */
  amountMinor: string;
  currency: string;
  reference: string;
}

export type ParsedLine =
  | { line: number; record: PaymentRecord }
  | { line: number; idempotencyKey: string; error: { field: string; rule: string } };

export type BatchCheck =
  { ok: true; manifest: Manifest; lines: ParsedLine[] } | { ok: false; reason: string; manifest?: Manifest };

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Splits one CSV line (RFC 4180 quoting by csv-parse, no embedded line breaks: the manifest's record count is a line
 * count). Returns null on an unterminated quote.
 */
export function splitCsvLine(line: string): string[] | null {
  try {
    const [fields] = parse(line, { relax_quotes: true, relax_column_count: true }) as string[][];
    return fields ?? [''];
  } catch {
    return null;
  }
}

/** Quotes a field when it needs it; the inverse of `splitCsvLine`, for fixtures and the uploader. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The file's lines: `\n` or `\r\n` separated, one optional trailing line break. */
export function csvLines(text: string): string[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (body === '') return [];
  return body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function parsePaymentLine(fields: string[], line: number): ParsedLine {
  const [
    idempotencyKey = '',
    recordType = '',
    accountNumber = '',
    amountMinor = '',
    currency = '',
    reference = '',
  ] = fields;
  const fail = (field: string, rule: string): ParsedLine => ({
    line,
    idempotencyKey,
    error: { field, rule },
  });
  if (fields.length !== PAYMENTS_V1_COLUMNS.length)
    return fail('(line)', `must have ${PAYMENTS_V1_COLUMNS.length} columns, has ${fields.length}`);
  if (recordType !== 'PAYMENT') return fail('record_type', `must be PAYMENT, got "${recordType}"`);
  if (!/^\d{6,34}$/.test(accountNumber)) return fail('account_number', 'must be 6–34 digits');
  if (!/^[1-9]\d{0,14}$/.test(amountMinor))
    return fail('amount_minor', 'must be a positive integer of minor units (at most 15 digits)');
  if (!/^[A-Z]{3}$/.test(currency)) return fail('currency', 'must be an ISO 4217 code (3 capital letters)');
  if (reference.length > 140) return fail('reference', 'must be at most 140 characters');
  return {
    line,
    record: { recordType: 'PAYMENT', idempotencyKey, accountNumber, amountMinor, currency, reference },
  };
}

/**
 * The whole-batch checks, in the order a batch core runs them. Any failure rejects the batch: nothing is posted.
 * Per-record problems (a bad amount) do not reject the batch; they come back as HARD_FAIL `INVALID_RECORD` lines.
 */
export function checkBatch(batchId: string, manifestText: string, csv: Buffer): BatchCheck {
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (error) {
    return {
      ok: false,
      reason: `manifest: is not JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      reason: `manifest: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
    };
  }
  const manifest = parsed.data;
  const reject = (reason: string): BatchCheck => ({ ok: false, reason, manifest });
  if (manifest.batchId !== batchId)
    return reject(
      `manifest.batchId: must equal the file name's batch id "${batchId}", got "${manifest.batchId}"`,
    );
  if (!(LAYOUT_VERSIONS as readonly string[]).includes(manifest.layoutVersion))
    return reject(
      `manifest.layoutVersion: must be one of ${LAYOUT_VERSIONS.join(', ')}, got "${manifest.layoutVersion}"`,
    );
  if (csv.length !== manifest.byteSize)
    return reject(`manifest.byteSize: file has ${csv.length} bytes, manifest says ${manifest.byteSize}`);
  const digest = sha256Hex(csv);
  if (digest !== manifest.sha256)
    return reject(`manifest.sha256: file hashes to ${digest}, manifest says ${manifest.sha256}`);

  const lines = csvLines(csv.toString('utf8'));
  const header = lines[0];
  if (header !== PAYMENTS_V1_COLUMNS.join(','))
    return reject(`header: line 1 must be "${PAYMENTS_V1_COLUMNS.join(',')}" for ${manifest.layoutVersion}`);
  const records = lines.slice(1);
  if (records.length !== manifest.recordCount)
    return reject(
      `manifest.recordCount: file has ${records.length} records, manifest says ${manifest.recordCount}`,
    );

  const parsedLines = records.map((text, index): ParsedLine => {
    const line = index + 2;
    const fields = splitCsvLine(text);
    if (fields === null)
      return { line, idempotencyKey: '', error: { field: '(line)', rule: 'has an unterminated quote' } };
    return parsePaymentLine(fields, line);
  });
  const keyless = parsedLines.find(
    (p) => ('record' in p ? p.record.idempotencyKey : p.idempotencyKey).trim() === '',
  );
  // Without a key a record can neither be deduplicated nor reported back: the batch as a whole is unusable.
  if (keyless) return reject(`idempotency_key: line ${keyless.line} must not be empty`);
  const tooLong = parsedLines.find(
    (p) => ('record' in p ? p.record.idempotencyKey : p.idempotencyKey).length > 255,
  );
  if (tooLong) return reject(`idempotency_key: line ${tooLong.line} must be at most 255 characters`);
  return { ok: true, manifest, lines: parsedLines };
}

/** The daily posting report in `outbound/`: every posting of one UTC day on one destination, what a reconciler reads. */
export const POSTING_REPORT_COLUMNS = [
  'idempotency_key',
  'provider_ref',
  'amount_minor',
  'currency',
  'posted_at',
  'batch_id',
  'line',
] as const;

/** `postings-YYYY-MM-DD.csv` for the UTC day of `at` (an ISO instant or epoch ms). */
export function postingReportName(at: string | number): string {
  return `postings-${new Date(at).toISOString().slice(0, 10)}${CSV_SUFFIX}`;
}

export interface ReportedPosting {
  idempotencyKey: string;
  providerRef: string;
  amountMinor: string;
  currency: string;
  postedAt: string;
  batchId: string;
  line: number;
}

/** The report's CSV: header, then one line per posting in posting order (RFC 4180 quoting where needed). */
export function buildPostingReport(postings: readonly ReportedPosting[]): Buffer {
  const rows = postings.map((p) =>
    [p.idempotencyKey, p.providerRef, p.amountMinor, p.currency, p.postedAt, p.batchId, String(p.line)]
      .map(csvField)
      .join(','),
  );
  return Buffer.from([POSTING_REPORT_COLUMNS.join(','), ...rows].map((l) => `${l}\n`).join(''), 'utf8');
}

/** Builds a `payments-v1` batch (CSV + manifest) the way the uploader must: for tests, fixtures and the demo. */
export function buildPaymentsBatch(
  batchId: string,
  records: readonly Omit<PaymentRecord, 'recordType'>[],
): { csv: Buffer; manifest: Manifest } {
  const rows = records.map((r) =>
    [r.idempotencyKey, 'PAYMENT', r.accountNumber, r.amountMinor, r.currency, r.reference]
      .map(csvField)
      .join(','),
  );
  const csv = Buffer.from([PAYMENTS_V1_COLUMNS.join(','), ...rows].map((l) => `${l}\n`).join(''), 'utf8');
  return {
    csv,
    manifest: {
      batchId,
      layoutVersion: LAYOUT_PAYMENTS_V1,
      recordCount: records.length,
      byteSize: csv.length,
      sha256: sha256Hex(csv),
    },
  };
}

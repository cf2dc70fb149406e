import { plausibleProviderRef } from '@closeout/writeback-core';
import { parse } from 'csv-parse/sync';

/**
 * The batch core's daily posting report (`outbound/postings-YYYY-MM-DD.csv`, one per UTC day): every posting it made,
 * keyed by idempotency key, with its reference and batch. The core rewrites it after every batch that posted and
 * before that batch's receipt, so it is the core's own record of postings — what a lookup believes, where a receipt
 * can carry records for keys its batch never had.
 */

export const POSTING_REPORT_NAME = /^postings-(\d{4}-\d{2}-\d{2})\.csv$/;

export interface ReportedPosting {
  providerRef: string;
  batchId: string | undefined;
}

export type PostingReport =
  { ok: true; postings: Map<string, ReportedPosting[]> } | { ok: false; reason: string };

/** One CSV line of the report (RFC 4180 quoting, by csv-parse); null on an unterminated quote. */
export function splitCsvLine(line: string): string[] | null {
  try {
    const [fields] = parse(line, { relax_quotes: true, relax_column_count: true }) as string[][];
    return fields ?? [''];
  } catch {
    return null;
  }
}

/** Parses a whole report; any line that cannot be read makes the report unreadable (it cannot be trusted in part). */
export function parsePostingReport(text: string): PostingReport {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const header = splitCsvLine(lines[0] ?? '') ?? [];
  const keyAt = header.indexOf('idempotency_key');
  const refAt = header.indexOf('provider_ref');
  const batchAt = header.indexOf('batch_id');
  if (keyAt < 0 || refAt < 0)
    return { ok: false, reason: 'header must name the idempotency_key and provider_ref columns' };
  const postings = new Map<string, ReportedPosting[]>();
  for (const [index, line] of lines.slice(1).entries()) {
    const fields = splitCsvLine(line);
    if (fields === null || fields.length !== header.length)
      return { ok: false, reason: `line ${index + 2}: must have ${header.length} fields (RFC 4180)` };
    const key = fields[keyAt]!;
    const providerRef = plausibleProviderRef(fields[refAt]);
    if (providerRef === undefined)
      return { ok: false, reason: `line ${index + 2}: provider_ref must be a plausible reference` };
    // A posting without a key is none of ours to find.
    if (key === '') continue;
    postings.set(key, [
      ...(postings.get(key) ?? []),
      { providerRef, batchId: batchAt < 0 ? undefined : fields[batchAt] },
    ]);
  }
  return { ok: true, postings };
}

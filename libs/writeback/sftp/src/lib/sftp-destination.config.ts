import { z } from 'zod';
import { destinationSemanticsShape, parseDestinationList } from '@closeout/writeback-core';

const nonEmpty = (rule = 'must be a non-empty string') => z.string({ error: rule }).min(1, rule);
const bytesUpTo256MiB = (fallback: number) =>
  z
    .int({ error: 'must be an integer from 1024 to 268435456' })
    .min(1_024, 'must be an integer from 1024 to 268435456')
    .max(256 * 1024 * 1024, 'must be an integer from 1024 to 268435456')
    .default(fallback);
const positiveInt = (fallback: number) =>
  z.int({ error: 'must be an integer > 0' }).min(1, 'must be an integer > 0').default(fallback);

/** One SFTP batch destination: where and how batches are dropped, and how long receipts may take. */
export const sftpDestinationConfigSchema = z
  .strictObject(
    {
      /** The destination's name in `WritebackRequested.destination`, the ledger and the metrics. */
      name: nonEmpty(),
      /** Use another destination's mappings (another environment of the same core). */
      mappingsOf: nonEmpty().optional(),
      host: nonEmpty(),
      port: z
        .int({ error: 'must be a TCP port' })
        .min(1, 'must be a TCP port')
        .max(65_535, 'must be a TCP port')
        .default(22),
      username: nonEmpty(),
      /** Key authentication only: a private key file (PEM/OpenSSH). */
      privateKeyPath: nonEmpty(),
      /** The server's host public key (OpenSSH `type base64` line): connections to any other host are refused. */
      hostPublicKeyPath: nonEmpty(),
      /** The destination's folder as the SFTP client sees it; inbound/ and receipts/ live under it. */
      remoteDir: z.string().startsWith('/', 'must be an absolute path'),
      inboundDir: nonEmpty().default('inbound'),
      receiptsDir: nonEmpty().default('receipts'),
      /** Where the core's daily posting reports (`postings-YYYY-MM-DD.csv`) are: what a lookup believes. */
      outboundDir: nonEmpty().default('outbound'),
      /** The pinned record layout; a mapping producing any other is refused before anything is written. */
      layoutVersion: nonEmpty(),
      batch: z
        .strictObject({
          /** A batch is uploaded when it holds this many records… */
          maxRecords: positiveInt(500),
          /** …or this long after its first record arrived. */
          windowMs: positiveInt(1_000),
          /** Upload size per write; a cut upload resumes from the remote size. */
          chunkBytes: positiveInt(64 * 1024),
        })
        .prefault({}),
      /** How long after the upload the receipt may take before the batch's outcome is unknown. */
      receiptWindowMs: positiveInt(30_000),
      receiptPollMs: positiveInt(250),
      connectTimeoutMs: positiveInt(10_000),
      /**
       * The most bytes of one receipt read into memory. A bigger receipt is not read: its batch's outcome is unknown,
       * resolved by lookup, so a hostile core cannot make the service run out of memory.
       */
      maxReceiptBytes: bytesUpTo256MiB(16 * 1024 * 1024),
      /**
       * The most bytes of one daily posting report read into memory (it grows with the day's postings, ~140 bytes
       * each). A lookup that would need a bigger report is inconclusive: the row stays unknown and alerts.
       */
      maxReportBytes: bytesUpTo256MiB(64 * 1024 * 1024),
      /** The posting reports a lookup reads: today's (UTC) and this many days before. */
      lookupReportDays: z
        .int({ error: 'must be an integer from 0 to 366' })
        .min(0, 'must be an integer from 0 to 366')
        .max(366, 'must be an integer from 0 to 366')
        .default(7),
      /**
       * Unfinished uploads of this destination left in inbound (`.part` files, a CSV whose manifest never came, e.g.
       * after a crash) are removed once seen unchanged this long. An uploader gives up on a batch it cannot finish
       * within half of it, so nothing older can still get its manifest.
       */
      staleUploadMs: positiveInt(15 * 60_000),
      /** How often inbound is swept for stale uploads (and once at start). */
      sweepIntervalMs: positiveInt(60_000),
      /**
       * Whether the core de-duplicates records by idempotency key (a resubmitted key is answered DUPLICATE with the
       * original reference), how far its posting reports trail its receipts, and the rest of what every destination
       * declares (destination-semantics.ts). Only a core that de-duplicates may be sent a record again that no report
       * lists: false unless declared.
       */
      ...destinationSemanticsShape,
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined,
    },
  )
  .refine((c) => c.staleUploadMs >= 2 * c.connectTimeoutMs, {
    path: ['staleUploadMs'],
    // Half of it is an upload's deadline, and an upload may need a fresh connection first.
    message: 'must be at least 2 × connectTimeoutMs',
  });

export type SftpDestinationConfig = z.output<typeof sftpDestinationConfigSchema>;

/** Parses an array of SFTP destinations; every problem names its field path and rule. */
export function parseSftpDestinations(input: unknown): SftpDestinationConfig[] {
  return parseDestinationList(sftpDestinationConfigSchema, input, 'SFTP destinations');
}

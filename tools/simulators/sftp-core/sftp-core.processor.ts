/**
 * TEST DOUBLE — the simulated SFTP batch core. It stands in for a bank's batch system of record that ingests files
 * dropped on its SFTP server, so Closeout's writeback-sftp can be driven through every failure a real batch core
 * produces. Not production code.
 *
 * It is the core's side of the server: it works on the local directory the SFTP user sees (`root`), picks up a
 * batch once its manifest is there, validates it as a whole, posts each record once per idempotency key into an
 * append-only journal, and answers with a receipt file. Fault injection covers everything between "posted" and
 * "the client knows it was posted".
 */
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { faultControls, type SimulatedCoreControls } from '@closeout/simulators/shared';
import { FaultBook, type FaultContext, type FaultRule } from './faults';
import {
  BATCH_ID_PATTERN,
  buildPostingReport,
  checkBatch,
  CSV_SUFFIX,
  csvLines,
  DESTINATION_PATTERN,
  FOLDERS,
  MANIFEST_SUFFIX,
  PART_SUFFIX,
  postingReportName,
  RECEIPT_SUFFIX,
  sha256Hex,
  splitCsvLine,
  type BatchCheck,
  type Folder,
  type ParsedLine,
  type PaymentRecord,
  type Receipt,
  type ReceiptRecord,
} from './file-protocol';
import {
  contradictingCopy,
  foreignRecords,
  garbledText,
  MadeUpRefs,
  paddedReceiptText,
  scatter,
} from './hostile-receipts';
import { InboundObserver } from './inbound-observer';
import { PostingJournal, type JournalEntry } from './journal';
import { StatsRecorder, type SftpCoreStats } from './stats';

export interface SftpCoreOptions {
  /** The directory the SFTP user sees, on the core's local disk (the devstack's `SFTP_ROOT`). */
  root: string;
  /** Destination folders to create and watch; without it, every `<root>/<name>/inbound/` found is watched. */
  destinations?: string[];
  /** How often the inbound folders are scanned. */
  pollIntervalMs?: number;
  /** Mirror the journal to this JSONL file; an existing file is loaded, so postings survive a restart. */
  journalFile?: string;
  /** Faults active from the start. */
  faults?: FaultRule[];
  /** Default hold-back of `delay_receipt`. */
  receiptDelayMs?: number;
  /** Random source for rate-based faults (seed it, e.g. with `seededRandom`, for reproducible runs). */
  random?: () => number;
  now?: () => number;
  /** One line per batch, e.g. to stdout from the CLI. */
  log?: (line: string) => void;
}

export interface DeliveredReceipt {
  destination: string;
  receipt: Receipt;
}

export interface SftpCore extends SimulatedCoreControls<JournalEntry, SftpCoreStats, FaultRule> {
  root: string;
  /** Every receipt written for this batch id, oldest first (a resubmitted batch gets one per submission). */
  receiptsFor(batchId: string, destination?: string): Receipt[];
  /** Scans the inbound folders now and resolves once every batch found has been handled. */
  scanNow(): Promise<void>;
  /** Stops polling and drops receipts still held back by `delay_receipt`. Idempotent. */
  close(): Promise<void>;
}

type ReceiptPlan = { kind: 'now' } | { kind: 'delay'; ms: number } | { kind: 'withhold' };

/** How the receipt file is spoiled on its way to disk (`garbled_receipt`, `oversized_receipt`). */
interface ReceiptDressing {
  garble: boolean;
  padBytes: number | undefined;
}

/** Default `padBytes` of `oversized_receipt`: past a client's default 16 MiB cap. */
const DEFAULT_PAD_BYTES = 17 * 1024 * 1024;
const DEFAULT_FOREIGN_RECORDS = 3;

const isNotFound = (error: unknown): boolean =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

const sameRecord = (a: PaymentRecord, b: PaymentRecord): boolean =>
  a.accountNumber === b.accountNumber &&
  a.amountMinor === b.amountMinor &&
  a.currency === b.currency &&
  a.reference === b.reference;

export async function startSftpCore(options: SftpCoreOptions): Promise<SftpCore> {
  const { root } = options;
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new Error(`sftp-core: root: ${root} must be an existing directory`);
  const badDestination = (options.destinations ?? []).find((d) => !DESTINATION_PATTERN.test(d));
  if (badDestination !== undefined)
    throw new Error(
      `sftp-core: destinations: "${badDestination}" must match [A-Za-z0-9_-][A-Za-z0-9_.-]{0,127} (it is a folder name)`,
    );
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const receiptDelayMs = options.receiptDelayMs ?? 2_000;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  // Folders the core creates get the root's permissions, so the SFTP user (group-writable devstack root,
  // world-writable container volume) can upload into them although the core made them.
  const folderMode = statSync(root).mode & 0o7777;

  const journal = new PostingJournal(options.journalFile);
  const stats = new StatsRecorder();
  const random = options.random ?? Math.random;
  const faults = new FaultBook(random);
  faults.add(...(options.faults ?? []));
  const madeUp = new MadeUpRefs();
  const observer = new InboundObserver(now);

  const slot = (destination: string, key: string): string => `${destination}/${key}`;
  /** The posting of each (destination, key): what a duplicate is answered with. */
  const originals = new Map<string, JournalEntry>();
  /** Keys the core failed hard, with the answer it keeps giving (in memory: a restart forgets them). */
  const hardFailures = new Map<string, { code: string; message: string }>();
  /** Keys the core saw and did not post (yet): what a hostile receipt misreports first. */
  const unposted = new Set<string>();
  /**
   * Batches whose ingest "crashed" after posting (`reingest_after_crash`): the keys whose de-duplication the crash
   * lost, and the receipt plan, for the re-ingest on the next scan.
   */
  const crashed = new Map<string, { forgotten: ReadonlySet<string>; plan: ReceiptPlan }>();
  for (const entry of journal.all()) {
    const s = slot(entry.destination, entry.idempotencyKey);
    if (entry.repostOf === undefined) stats.posted(s);
    else stats.reposted(s);
    if (!originals.has(s)) originals.set(s, entry);
  }
  const delivered: DeliveredReceipt[] = [];

  async function ensureFolder(path: string): Promise<void> {
    if (existsSync(path)) return;
    await mkdir(path, { recursive: true });
    await chmod(path, folderMode);
  }

  async function ensureDestination(destination: string): Promise<void> {
    await ensureFolder(join(root, destination));
    for (const folder of FOLDERS) await ensureFolder(join(root, destination, folder));
  }
  for (const destination of options.destinations ?? []) await ensureDestination(destination);

  async function destinations(): Promise<string[]> {
    if (options.destinations) return [...options.destinations].sort();
    const entries = await readdir(root, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && DESTINATION_PATTERN.test(e.name))
      .filter((e) => existsSync(join(root, e.name, 'inbound')))
      .map((e) => e.name)
      .sort();
  }

  /** Moves the batch's files, manifest first: a crash in between leaves a CSV without manifest, which is ignored. */
  async function moveBatch(destination: string, batchId: string, folder: Folder): Promise<void> {
    await ensureDestination(destination);
    const from = join(root, destination, 'inbound');
    const to = join(root, destination, folder);
    // A resubmitted batch id must not overwrite the evidence of the first submission: `<id>~2.csv`, `~3`, ….
    let stem = batchId;
    for (
      let n = 2;
      existsSync(join(to, `${stem}${CSV_SUFFIX}`)) || existsSync(join(to, `${stem}${MANIFEST_SUFFIX}`));
      n += 1
    )
      stem = `${batchId}~${n}`;
    for (const suffix of [MANIFEST_SUFFIX, CSV_SUFFIX]) {
      try {
        await rename(join(from, `${batchId}${suffix}`), join(to, `${stem}${suffix}`));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }

  /**
   * Temp file + rename, so a reader polling the receipts folder never sees half a receipt — unless a fault garbles
   * or pads what is written. `delivered` keeps the receipt as the core meant it.
   */
  async function writeReceipt(
    destination: string,
    receipt: Receipt,
    dressing: ReceiptDressing,
  ): Promise<void> {
    const dir = join(root, destination, 'receipts');
    await ensureFolder(dir);
    const final = join(dir, `${receipt.batchId}${RECEIPT_SUFFIX}`);
    const temp = `${final}${PART_SUFFIX}`;
    let text = `${JSON.stringify(receipt, null, 2)}\n`;
    if (dressing.padBytes !== undefined) {
      text = paddedReceiptText(receipt, dressing.padBytes);
      stats.hostileReceipt('oversized');
    }
    if (dressing.garble) {
      text = garbledText(text);
      stats.hostileReceipt('garbled');
    }
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, final);
    delivered.push({ destination, receipt: structuredClone(receipt) });
    stats.receipt('written');
  }

  /**
   * Rewrites `outbound/postings-<day>.csv` from the journal (temp file + rename, so a reader never sees half a
   * report). Written before the receipt: once a receipt says POSTED, the day's report holds the posting.
   */
  async function writePostingReport(destination: string, day: string): Promise<void> {
    const dir = join(root, destination, 'outbound');
    await ensureFolder(dir);
    const postings = journal
      .all()
      .filter((e) => e.destination === destination && postingReportName(e.postedAt) === day)
      .map((e) => ({
        idempotencyKey: e.idempotencyKey,
        providerRef: e.providerRef,
        amountMinor: e.record.amountMinor,
        currency: e.record.currency,
        postedAt: e.postedAt,
        batchId: e.batchId,
        line: e.line,
      }));
    const final = join(dir, day);
    await writeFile(`${final}${PART_SUFFIX}`, buildPostingReport(postings), { mode: 0o644 });
    await rename(`${final}${PART_SUFFIX}`, final);
  }

  async function writePostingReports(destination: string, entries: readonly JournalEntry[]): Promise<void> {
    for (const day of new Set(entries.map((e) => postingReportName(e.postedAt))))
      await writePostingReport(destination, day);
  }

  // A restarted core (journal loaded from its file) presents the reports of what it posted before.
  for (const destination of new Set(journal.all().map((e) => e.destination)))
    await writePostingReports(
      destination,
      journal.all().filter((e) => e.destination === destination),
    );

  const timers = new Set<NodeJS.Timeout>();
  function later(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn().catch((error: unknown) => log(`delayed receipt failed: ${String(error)}`));
    }, ms);
    timers.add(timer);
  }

  function receiptPlan(ctx: FaultContext): ReceiptPlan {
    if (faults.take('no_receipt', ctx)) {
      stats.fault('no_receipt');
      return { kind: 'withhold' };
    }
    const delay = faults.take('delay_receipt', ctx);
    if (delay) {
      stats.fault('delay_receipt');
      return { kind: 'delay', ms: delay.delayMs ?? receiptDelayMs };
    }
    return { kind: 'now' };
  }

  function receiptDressing(ctx: FaultContext): ReceiptDressing {
    const garble = faults.take('garbled_receipt', ctx);
    if (garble) stats.fault('garbled_receipt');
    const oversized = faults.take('oversized_receipt', ctx);
    if (oversized) stats.fault('oversized_receipt');
    return {
      garble: garble !== undefined,
      padBytes: oversized ? (oversized.padBytes ?? DEFAULT_PAD_BYTES) : undefined,
    };
  }

  /** Receipt first, then the move: a batch leaves inbound only once its answer is out (or deliberately not). */
  async function finish(
    destination: string,
    receipt: Receipt,
    folder: Folder,
    plan: ReceiptPlan,
    dressing: ReceiptDressing,
  ): Promise<void> {
    stats.batchEnded(receipt.status);
    log(
      `${destination}/${receipt.batchId}: ${receipt.status}${receipt.reason ? ` (${receipt.reason})` : ''}, ` +
        `${receipt.records.length} receipt line(s), receipt ${plan.kind}`,
    );
    switch (plan.kind) {
      case 'now':
        await writeReceipt(destination, receipt, dressing);
        await moveBatch(destination, receipt.batchId, folder);
        return;
      case 'delay':
        // The core has consumed the file; only the answer is late, so the batch must leave inbound now.
        stats.receipt('delayed');
        await moveBatch(destination, receipt.batchId, folder);
        later(plan.ms, () => writeReceipt(destination, receipt, dressing));
        return;
      case 'withhold':
        stats.receipt('withheld');
        await moveBatch(destination, receipt.batchId, folder);
        return;
    }
  }

  function post(ctx: FaultContext, record: PaymentRecord, line: number, repostOf?: number): JournalEntry {
    const sequence = journal.nextSequence;
    return journal.append({
      sequence,
      providerRef: `pay_${String(sequence).padStart(8, '0')}`,
      destination: ctx.destination,
      idempotencyKey: record.idempotencyKey,
      batchId: ctx.batchId,
      line,
      record,
      postedAt: new Date(now()).toISOString(),
      ...(repostOf === undefined ? {} : { repostOf }),
    });
  }

  /**
   * One record's answer. `forgotten` is set on a re-ingest after a simulated crash: the keys whose de-duplication
   * the crash lost (they post again).
   */
  function ingest(ctx: FaultContext, parsed: ParsedLine, forgotten?: ReadonlySet<string>): ReceiptRecord {
    const { destination } = ctx;
    const done = (r: ReceiptRecord): ReceiptRecord => {
      stats.record(r.outcome);
      if (r.outcome === 'SOFT_FAIL' || r.outcome === 'HARD_FAIL')
        unposted.add(slot(destination, r.idempotencyKey));
      return r;
    };
    if ('error' in parsed) {
      // Not remembered: a corrected record may come back under the same key, as with a REST 422.
      return done({
        idempotencyKey: parsed.idempotencyKey,
        line: parsed.line,
        outcome: 'HARD_FAIL',
        code: 'INVALID_RECORD',
        message: `${parsed.error.field}: ${parsed.error.rule}`,
      });
    }
    const { record, line } = parsed;
    const key = record.idempotencyKey;
    const s = slot(destination, key);
    const original = originals.get(s);
    if (original && forgotten?.has(key)) {
      const again = post(ctx, record, line, original.sequence);
      stats.reposted(s);
      return done({ idempotencyKey: key, line, outcome: 'POSTED', providerRef: again.providerRef });
    }
    if (original) {
      if (!sameRecord(original.record, record)) {
        return done({
          idempotencyKey: key,
          line,
          outcome: 'HARD_FAIL',
          code: 'IDEMPOTENCY_KEY_REUSED',
          message: `idempotency_key: already posted as ${original.providerRef} (batch ${original.batchId} line ${original.line}) with different account, amount, currency or reference`,
        });
      }
      stats.duplicatePrevented(s);
      return done({
        idempotencyKey: key,
        line,
        outcome: 'DUPLICATE',
        providerRef: original.providerRef,
        message: `already posted from batch ${original.batchId} line ${original.line}`,
      });
    }
    const hard = hardFailures.get(s);
    if (hard) {
      // A re-ingest after the core's own crash is not the client sending a hard-failed key again.
      if (forgotten === undefined) stats.hardFailedResubmitted(s);
      return done({ idempotencyKey: key, line, outcome: 'HARD_FAIL', ...hard });
    }
    const recordCtx = { ...ctx, idempotencyKey: key };
    const hardFault = faults.take('hard_fail', recordCtx);
    if (hardFault) {
      stats.fault('hard_fail');
      const answer = {
        code: hardFault.code ?? 'ACCOUNT_CLOSED',
        message: hardFault.message ?? 'account closed: this record will never be posted',
      };
      hardFailures.set(s, answer);
      return done({ idempotencyKey: key, line, outcome: 'HARD_FAIL', ...answer });
    }
    const softFault = faults.take('soft_fail', recordCtx);
    if (softFault) {
      stats.fault('soft_fail');
      return done({
        idempotencyKey: key,
        line,
        outcome: 'SOFT_FAIL',
        code: softFault.code ?? 'ACCOUNT_LOCKED',
        message: softFault.message ?? 'account temporarily locked: replay later under the same key',
      });
    }
    const entry = post(ctx, record, line);
    originals.set(s, entry);
    unposted.delete(s);
    stats.posted(s);
    return done({ idempotencyKey: key, line, outcome: 'POSTED', providerRef: entry.providerRef });
  }

  /** Keys of the other complete batches waiting in inbound (at most a few files read): what the client has in flight. */
  async function waitingKeys(destination: string, batchId: string): Promise<string[]> {
    const inbound = join(root, destination, 'inbound');
    const others = (await readdir(inbound))
      .filter((n) => n.endsWith(CSV_SUFFIX) && n !== `${batchId}${CSV_SUFFIX}`)
      .slice(0, 5);
    const keys: string[] = [];
    for (const name of others) {
      const csv = await readIfExists(join(inbound, name));
      if (csv === null) continue;
      for (const line of csvLines(csv.toString('utf8')).slice(1)) {
        const key = splitCsvLine(line)?.[0];
        if (key) keys.push(key);
      }
    }
    return keys;
  }

  /** `foreign_receipt_records`: records for keys not in this batch, from the pools a hostile core would misreport. */
  async function foreignFor(
    ctx: FaultContext,
    members: ReadonlySet<string>,
    firstLine: number,
    n: number,
  ): Promise<ReceiptRecord[]> {
    const prefix = `${ctx.destination}/`;
    const mine = (slots: Iterable<string>): string[] =>
      [...slots]
        .filter((s) => s.startsWith(prefix))
        .map((s) => s.slice(prefix.length))
        .filter((k) => !members.has(k));
    const pools = {
      waiting: (await waitingKeys(ctx.destination, ctx.batchId)).filter((k) => !members.has(k)),
      unposted: mine(unposted),
      posted: mine(originals.keys()),
    };
    const records = foreignRecords(n, pools, random, madeUp, firstLine);
    stats.hostileReceipt('foreignRecords', records.length);
    return records;
  }

  async function processBatch(destination: string, batchId: string): Promise<void> {
    const inbound = join(root, destination, 'inbound');
    const ctx: FaultContext = { destination, batchId };
    const crash = crashed.get(slot(destination, batchId));
    crashed.delete(slot(destination, batchId));
    // A re-ingest after the core's own crash is not the client resubmitting.
    if (!crash) stats.batchArrived(destination, batchId);
    observer.batchHandled(destination, batchId);
    const plan = crash?.plan ?? receiptPlan(ctx);
    const dressing = receiptDressing(ctx);

    let check: BatchCheck;
    const csv = await readIfExists(join(inbound, `${batchId}${CSV_SUFFIX}`));
    if (!BATCH_ID_PATTERN.test(batchId)) {
      check = {
        ok: false,
        reason: `file name: batch id "${batchId}" must match [A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}`,
      };
    } else if (csv === null) {
      check = {
        ok: false,
        reason: `file: inbound/${batchId}${CSV_SUFFIX} is missing (upload and rename the CSV before writing the manifest)`,
      };
    } else {
      const manifestText = await readFile(join(inbound, `${batchId}${MANIFEST_SUFFIX}`), 'utf8');
      check = checkBatch(batchId, manifestText, csv);
      if (check.ok && faults.take('checksum_mismatch', ctx)) {
        stats.fault('checksum_mismatch');
        check = {
          ok: false,
          manifest: check.manifest,
          reason: `manifest.sha256: file hashes to ${sha256Hex(Buffer.concat([csv, Buffer.from('\0')]))}, manifest says ${check.manifest.sha256} (simulated fault checksum_mismatch)`,
        };
      }
    }

    if (!check.ok) {
      await finish(
        destination,
        { batchId, status: 'REJECTED', reason: check.reason, records: [] },
        'rejected',
        plan,
        dressing,
      );
      return;
    }
    const { lines } = check;
    const partial = faults.take('partial_ingest', ctx, (rule) => (rule.afterRecords ?? 0) < lines.length);
    if (partial) stats.fault('partial_ingest');
    const ingested = partial ? lines.slice(0, partial.afterRecords ?? 0) : lines;
    for (const cut of lines.slice(ingested.length)) {
      const key = 'record' in cut ? cut.record.idempotencyKey : cut.idempotencyKey;
      if (!originals.has(slot(destination, key))) unposted.add(slot(destination, key));
    }
    const postedFrom = journal.nextSequence;
    let records: ReceiptRecord[] = [];
    for (const parsed of ingested) {
      const record = ingest(ctx, parsed, crash?.forgotten);
      const contradict = faults.take('contradicting_receipt', {
        ...ctx,
        idempotencyKey: record.idempotencyKey,
      });
      if (contradict) {
        stats.fault('contradicting_receipt');
        stats.hostileReceipt('contradictingRecords');
        const copy = contradictingCopy(record, random, madeUp, contradict.contradiction);
        records.push(...(random() < 0.5 ? [record, copy] : [copy, record]));
      } else records.push(record);
    }
    const foreign = faults.take('foreign_receipt_records', ctx);
    if (foreign) {
      stats.fault('foreign_receipt_records');
      const members = new Set(lines.map((l) => ('record' in l ? l.record.idempotencyKey : l.idempotencyKey)));
      const extra = await foreignFor(
        ctx,
        members,
        lines.length + 2,
        foreign.foreignRecords ?? DEFAULT_FOREIGN_RECORDS,
      );
      records = scatter(records, extra, random);
    }
    const posted = journal.all().filter((e) => e.sequence >= postedFrom);
    await writePostingReports(destination, posted);
    const receipt: Receipt = { batchId, status: partial ? 'PARTIAL' : 'PROCESSED', records };

    if (!crash && faults.take('reingest_after_crash', ctx)) {
      stats.fault('reingest_after_crash');
      // Posted and answered, then down before the files moved: the next scan finds the manifest still there.
      if (plan.kind === 'now') await writeReceipt(destination, receipt, dressing);
      crashed.set(slot(destination, batchId), {
        forgotten: new Set(posted.map((e) => e.idempotencyKey)),
        plan,
      });
      log(
        `${destination}/${batchId}: simulated crash after posting ${posted.length} record(s); ingesting it again`,
      );
      return;
    }
    if (crash) stats.batchReingested(ingested.length);
    await finish(destination, receipt, 'processed', plan, dressing);
  }

  let closed = false;

  async function scanOnce(): Promise<void> {
    for (const destination of await destinations()) {
      let names: string[];
      try {
        names = await readdir(join(root, destination, 'inbound'));
      } catch (error) {
        if (isNotFound(error)) continue;
        throw error;
      }
      observer.observe(destination, names);
      // Only a complete manifest (renamed from `.part`) marks a batch ready; sorted so runs are reproducible.
      const ready = names
        .filter((n) => n.endsWith(MANIFEST_SUFFIX))
        .map((n) => n.slice(0, -MANIFEST_SUFFIX.length))
        .sort();
      for (const batchId of ready) {
        if (closed) return;
        try {
          await processBatch(destination, batchId);
        } catch (error) {
          stats.processingError();
          log(`${destination}/${batchId}: not processed, retrying next poll: ${String(error)}`);
        }
      }
    }
  }

  // One scan at a time, in order: this is what makes "one batch at a time per destination" hold.
  let chain: Promise<void> = Promise.resolve();
  function scan(): Promise<void> {
    chain = chain.then(scanOnce).catch((error: unknown) => log(`scan failed: ${String(error)}`));
    return chain;
  }

  let pollTimer: NodeJS.Timeout | undefined;
  // Polling rather than fs.watch: watch events are unreliable on network and bind-mounted volumes, where a
  // container's sshd writes; a scan of a few folders every poll is cheap.
  const schedule = (): void => {
    if (closed) return;
    pollTimer = setTimeout(() => void scan().then(schedule), pollIntervalMs);
  };
  schedule();

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      closed = true;
      if (pollTimer) clearTimeout(pollTimer);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await chain;
    })();
    return closing;
  }

  return {
    root,
    journal: () => journal.all(),
    stats: () => stats.snapshot(observer.figures()),
    receiptsFor: (batchId, destination) =>
      delivered
        .filter(
          (d) =>
            d.receipt.batchId === batchId && (destination === undefined || d.destination === destination),
        )
        .map((d) => structuredClone(d.receipt)),
    scanNow: () => (closed ? Promise.resolve() : scan()),
    ...faultControls(faults),
    close,
  };
}

/** Reads a receipt as the client would find it; null while there is none. */
export async function readReceipt(
  root: string,
  destination: string,
  batchId: string,
): Promise<Receipt | null> {
  const raw = await readIfExists(join(root, destination, 'receipts', `${batchId}${RECEIPT_SUFFIX}`));
  return raw === null ? null : (JSON.parse(raw.toString('utf8')) as Receipt);
}

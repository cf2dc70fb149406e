import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import SftpClient from 'ssh2-sftp-client';
import {
  AmbiguousOutcomeError,
  TransientError,
  ValidationError,
  type UnknownLookupResult,
} from '@closeout/writeback-domain';
import { createLogger } from '@closeout/telemetry';
import type {
  LookupQuery,
  SendReceipt,
  SendRequest,
  WritebackDestination,
} from '@closeout/writeback-core';
import type { SftpDestinationConfig } from './sftp-destination.config';
import { parsePostingReport, POSTING_REPORT_NAME, type ReportedPosting } from './sftp-posting-report';
import { judgeReceipt, type BatchMember, type RecordVerdict } from './sftp-receipt';
import { manifestNameOf, StaleUploads } from './sftp-stale-uploads';

/** The logger calls the destination makes; a pino logger fits. */
export interface SftpDestinationLogger {
  warn(obj: object, msg: string): void;
}

interface Pending {
  idempotencyKey: string;
  recordType: string;
  fields: Record<string, string>;
  resolve: (receipt: SendReceipt) => void;
  reject: (error: unknown) => void;
}

/** What came back for a batch: its receipt file (read up to the cap), one over the cap, or nothing in the window. */
type ReceiptRead = { kind: 'read'; data: Buffer } | { kind: 'oversized' } | { kind: 'none' };

/** One day's posting report as last read, kept while its size and modification time stay the same. */
interface CachedReport {
  size: number;
  modifyTime: number;
  report: { ok: true; postings: Map<string, ReportedPosting[]> } | { ok: false; reason: string };
}

const PART = '.part';
const DAY_MS = 24 * 60 * 60 * 1000;
const REMOVE_ATTEMPTS = 3;

/** A batch not uploaded within half of staleUploadMs: given up by us, not failed by the session. */
class UploadAbandoned extends Error {
  constructor(withinMs: number) {
    super(`not finished within ${withinMs} ms (half of staleUploadMs): abandoned`);
    this.name = 'UploadAbandoned';
  }
}

/** RFC 4180 quoting, only where a field needs it. */
const csvField = (value: string): string =>
  /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A batch system of record reached over SFTP. Each `send` adds one record to the destination's open batch and
 * resolves when the core's receipt for that record comes back, so the writeback worker drives it unchanged: its
 * concurrency is how many records can share a batch.
 *
 * A batch is closed by size or time window, written as `<batchId>.csv` with the idempotency key as its first
 * column, uploaded as `.part` in chunks (a cut upload resumes from the remote size) and renamed when complete; the
 * manifest (record count, byte size, SHA-256, batch id) is written last the same way, and only then does the core
 * act. The receipt decides each record only as far as it can be believed (see `judgeReceipt`): POSTED/DUPLICATE →
 * applied with the provider reference; SOFT_FAIL → transient, replayed in a later batch under the same key;
 * HARD_FAIL → validation, routed with the core's code and message; a record a PARTIAL receipt does not mention →
 * transient (the core never got to it); a REJECTED batch → transient, nothing posted; a receipt that contradicts
 * itself, names another batch, cannot be read or is over `maxReceiptBytes`, or none within the window → ambiguous,
 * resolved by `lookup` over the core's posting reports.
 *
 * Uploads a crash cut off are removed by a sweep once stale (see `StaleUploads`), never a batch whose manifest is in
 * place.
 */
export class SftpDestination implements WritebackDestination {
  readonly protocol = 'SFTP' as const;
  private open: Pending[] = [];
  private readonly openKeys = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private client: Promise<SftpClient> | undefined;
  /** Keys in batches uploaded but not yet answered, counted: their outcome is not knowable yet. */
  private readonly awaiting = new Map<string, number>();
  /** Batches this process is uploading now: a sweep leaves them alone. */
  private readonly uploading = new Set<string>();
  private readonly batchPrefix: string;
  private readonly staleUploads: StaleUploads;
  private readonly sweepTimer: NodeJS.Timeout;
  private sweeping: Promise<void> | undefined;
  private readonly reports = new Map<string, CachedReport>();
  private refreshing: Promise<Map<string, CachedReport>> | undefined;
  private readonly pinnedHostKey: Buffer;
  private closed = false;

  constructor(
    private readonly config: SftpDestinationConfig,
    private readonly logger: SftpDestinationLogger = createLogger('sftp-destination'),
  ) {
    const line = readFileSync(config.hostPublicKeyPath, 'utf8').trim().split(/\s+/);
    if (line.length < 2)
      throw new Error(`${config.name}: hostPublicKeyPath must hold an OpenSSH "type base64" line`);
    this.pinnedHostKey = Buffer.from(line[1]!, 'base64');
    this.batchPrefix = config.name.replace(/[^A-Za-z0-9_-]/g, '_');
    const ownBatch = new RegExp(`^${escapeRegExp(this.batchPrefix)}-\\d+-[0-9a-f]{8}$`);
    this.staleUploads = new StaleUploads((batchId) => ownBatch.test(batchId), config.staleUploadMs);
    // The first sweep at start sees what a crashed predecessor left; each later one removes what stayed unchanged.
    this.sweepTimer = setInterval(() => this.sweepNow(), config.sweepIntervalMs);
    this.sweepTimer.unref();
    setImmediate(() => this.sweepNow());
  }

  get name(): string {
    return this.config.name;
  }

  send(request: SendRequest): Promise<SendReceipt> {
    const { wire } = request;
    if (wire.kind !== 'record') {
      return Promise.reject(
        new ValidationError([
          { path: 'mapping.kind', rule: `must be "record" for an SFTP destination (got "${wire.kind}")` },
        ]),
      );
    }
    if (wire.wireVersion !== this.config.layoutVersion) {
      return Promise.reject(
        new ValidationError([
          {
            path: 'mapping.wireVersion',
            rule: `must be the layout ${this.config.name} is pinned to, "${this.config.layoutVersion}" (got "${wire.wireVersion}")`,
          },
        ]),
      );
    }
    if (this.closed)
      return Promise.reject(
        new TransientError(`${this.config.name}: shutting down, not sent`, { sent: false }),
      );
    // A receipt answers per key: one key twice in a batch would get one answer for two sends.
    if (this.openKeys.has(request.idempotencyKey))
      return Promise.reject(
        new TransientError(`${this.config.name}: this key is already in the open batch, not sent again`, {
          sent: false,
        }),
      );
    return new Promise<SendReceipt>((resolve, reject) => {
      this.open.push({
        idempotencyKey: request.idempotencyKey,
        recordType: wire.target,
        fields: wire.body as Record<string, string>,
        resolve,
        reject,
      });
      this.openKeys.add(request.idempotencyKey);
      if (this.open.length >= this.config.batch.maxRecords) this.closeBatch();
      else this.timer ??= setTimeout(() => this.closeBatch(), this.config.batch.windowMs);
    });
  }

  /**
   * What the core's posting reports say about the key. A posting listed there is found under the first reference
   * listed; a receipt is not asked, since it can carry records for keys its batch never had. With no posting
   * listed, sending again is safe only if the core answers a known key DUPLICATE.
   */
  async lookup(query: LookupQuery): Promise<UnknownLookupResult> {
    if (this.awaiting.has(query.idempotencyKey)) {
      return { kind: 'inconclusive', reason: 'its batch is still waiting for the receipt' };
    }
    let reports: Map<string, CachedReport>;
    try {
      reports = await this.postingReports();
    } catch (error) {
      return { kind: 'inconclusive', reason: `posting reports unreadable: ${(error as Error).message}` };
    }
    const postings: ReportedPosting[] = [];
    const unreadable: string[] = [];
    for (const [name, { report }] of [...reports].sort(([a], [b]) => a.localeCompare(b))) {
      if (report.ok) postings.push(...(report.postings.get(query.idempotencyKey) ?? []));
      else unreadable.push(`${name}: ${report.reason}`);
    }
    const first = postings[0];
    if (first) {
      if (postings.length > 1)
        this.logger.warn(
          {
            destination: this.name,
            idempotencyKey: query.idempotencyKey,
            postings: postings.slice(0, 10),
          },
          'the core reports several postings under one idempotency key: it posted twice (the reconciler sees both); the first is taken',
        );
      return { kind: 'found', providerRef: first.providerRef };
    }
    if (unreadable.length > 0)
      return {
        kind: 'inconclusive',
        reason: `posting report(s) unreadable: ${unreadable.slice(0, 3).join('; ')}`,
      };
    return this.config.honoursIdempotencyKey
      ? { kind: 'not_found' }
      : {
          kind: 'inconclusive',
          reason: 'no posting report lists it, and the core does not de-duplicate by key',
        };
  }

  async probe(): Promise<void> {
    const sftp = await this.session();
    if (!(await sftp.exists(this.config.remoteDir)))
      throw new Error(`${this.config.remoteDir} does not exist`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.sweepTimer);
    for (const p of this.open.splice(0))
      p.reject(new TransientError(`${this.config.name}: shutting down, not sent`, { sent: false }));
    this.openKeys.clear();
    await this.sweeping;
    const client = this.client;
    this.client = undefined;
    if (client) await client.then((c) => c.end()).catch(() => undefined);
  }

  /** Starts a sweep unless one is running; failures are logged, the next interval tries again. */
  private sweepNow(): void {
    if (this.closed) return;
    this.sweeping ??= this.sweep()
      .catch((error: unknown) =>
        this.logger.warn(
          { destination: this.name, error: error instanceof Error ? error.message : String(error) },
          'sweep of unfinished uploads failed; the next one tries again',
        ),
      )
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  private async sweep(): Promise<void> {
    const inbound = posix.join(this.config.remoteDir, this.config.inboundDir);
    const removed: string[] = [];
    try {
      const sftp = await this.session();
      const listing = await sftp.list(inbound);
      const stale = this.staleUploads.observe(
        listing.map((e) => ({ name: e.name, size: e.size, modifyTime: e.modifyTime })),
        performance.now(),
        this.uploading,
      );
      for (const name of stale) {
        if (this.closed) break;
        // Looked at once more just before: a batch whose manifest is in place belongs to the core.
        const batchCsv = !name.endsWith(PART);
        if (
          batchCsv &&
          (await sftp.exists(posix.join(inbound, manifestNameOf(name.slice(0, -'.csv'.length)))))
        )
          continue;
        await sftp.delete(posix.join(inbound, name), true);
        removed.push(name);
      }
    } catch (error) {
      this.dropSession();
      throw error;
    }
    if (removed.length > 0)
      this.logger.warn(
        { destination: this.name, removed: removed.slice(0, 20), count: removed.length },
        `removed unfinished uploads left in inbound for over ${this.config.staleUploadMs} ms (cut off by a crash; their records go again)`,
      );
  }

  private closeBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.open.splice(0);
    this.openKeys.clear();
    if (batch.length > 0) void this.ship(batch);
  }

  private async ship(batch: Pending[]): Promise<void> {
    const batchId = `${this.batchPrefix}-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const members: BatchMember[] = batch.map((p, i) => ({ idempotencyKey: p.idempotencyKey, line: i + 2 }));
    const columns = Object.keys(batch[0]!.fields);
    const lines = [
      ['idempotency_key', 'record_type', ...columns].join(','),
      ...batch.map((p) =>
        [p.idempotencyKey, p.recordType, ...columns.map((c) => p.fields[c] ?? '')].map(csvField).join(','),
      ),
    ];
    const csv = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    const manifest = Buffer.from(
      JSON.stringify({
        batchId,
        layoutVersion: this.config.layoutVersion,
        recordCount: batch.length,
        byteSize: csv.length,
        sha256: createHash('sha256').update(csv).digest('hex'),
      }),
      'utf8',
    );
    const inbound = posix.join(this.config.remoteDir, this.config.inboundDir);
    // Past this, a sweep (ours or another replica's) may take the batch's files for abandoned: its manifest must
    // never follow. Measured from before the first byte, so it ends before any sweep could start counting.
    const deadline = performance.now() + this.config.staleUploadMs / 2;
    let manifestRenameIssued = false;
    this.uploading.add(batchId);
    try {
      await this.uploadWithResume(posix.join(inbound, `${batchId}.csv`), csv, deadline);
      await this.uploadWithResume(posix.join(inbound, manifestNameOf(batchId)), manifest, deadline, () => {
        manifestRenameIssued = true;
      });
    } catch (error) {
      if (!manifestRenameIssued) {
        // Without its manifest the core never touches a batch: nothing can have been posted.
        const failure = new TransientError(
          `${this.config.name}: upload of ${batchId} failed: ${(error as Error).message}`,
          { sent: false, cause: error },
        );
        for (const p of batch) p.reject(failure);
        await this.removeUnfinished(inbound, batchId);
        return;
      }
      // The manifest's rename may have reached the server: wait for the receipt as if it had.
    } finally {
      this.uploading.delete(batchId);
    }
    for (const p of batch)
      this.awaiting.set(p.idempotencyKey, (this.awaiting.get(p.idempotencyKey) ?? 0) + 1);
    try {
      const read = await this.awaitReceipt(batchId);
      this.answer(batch, batchId, members, read);
    } finally {
      for (const p of batch) {
        const left = (this.awaiting.get(p.idempotencyKey) ?? 1) - 1;
        if (left > 0) this.awaiting.set(p.idempotencyKey, left);
        else this.awaiting.delete(p.idempotencyKey);
      }
    }
  }

  /** Best effort: the files of a batch whose manifest this process will never write; a sweep gets what this misses. */
  /**
   * Removes an abandoned batch's files at once, on a fresh session if need be; what still cannot be removed is left
   * to the sweep, which takes it once it is older than staleUploadMs.
   */
  private async removeUnfinished(inbound: string, batchId: string): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= REMOVE_ATTEMPTS; attempt += 1) {
      if (this.closed) return;
      try {
        const sftp = await this.session();
        for (const name of [`${batchId}.csv`, `${batchId}.csv${PART}`, `${manifestNameOf(batchId)}${PART}`])
          await sftp.delete(posix.join(inbound, name), true);
        return;
      } catch (error) {
        lastError = error;
        this.dropSession();
      }
    }
    this.logger.warn(
      {
        destination: this.name,
        batchId,
        error: lastError instanceof Error ? lastError.message : String(lastError),
      },
      'could not remove an abandoned upload; the sweep removes it once it is stale',
    );
  }

  private answer(
    batch: Pending[],
    batchId: string,
    members: readonly BatchMember[],
    read: ReceiptRead,
  ): void {
    if (read.kind !== 'read') {
      const unknown =
        read.kind === 'none'
          ? new AmbiguousOutcomeError(
              `${this.config.name}: no receipt for batch ${batchId} within ${this.config.receiptWindowMs} ms`,
              { providerCode: 'NO_RECEIPT' },
            )
          : new AmbiguousOutcomeError(
              `${this.config.name}: receipt for batch ${batchId} is over maxReceiptBytes (${this.config.maxReceiptBytes}): not read, outcome unknown`,
              { providerCode: 'RECEIPT_UNREADABLE' },
            );
      if (read.kind === 'oversized')
        this.logger.warn(
          { destination: this.name, batchId, maxReceiptBytes: this.config.maxReceiptBytes },
          unknown.message,
        );
      for (const p of batch) p.reject(unknown);
      return;
    }
    const judgement = judgeReceipt(read.data, batchId, members);
    if (judgement.foreign.count > 0 || judgement.unreadableRecords > 0)
      this.logger.warn(
        {
          destination: this.name,
          batchId,
          foreignRecords: judgement.foreign.count,
          foreignKeys: judgement.foreign.sample,
          unreadableRecords: judgement.unreadableRecords,
        },
        'receipt lists records for keys not in its batch (or records without a key): refused',
      );
    if (judgement.contradictions.length > 0)
      this.logger.warn(
        { destination: this.name, batchId, contradictions: judgement.contradictions },
        'receipt cannot be believed about some records: their outcome is unknown and resolved by lookup',
      );
    for (const p of batch) this.settle(p, batchId, judgement.verdicts.get(p.idempotencyKey)!);
  }

  private settle(p: Pending, batchId: string, verdict: RecordVerdict): void {
    const name = this.config.name;
    switch (verdict.kind) {
      case 'posted':
        p.resolve({
          providerRef: verdict.providerRef,
          providerCode: verdict.replayed ? 'DUPLICATE' : 'POSTED',
          replayed: verdict.replayed,
        });
        return;
      case 'hard_fail':
        p.reject(
          new ValidationError(
            [{ path: 'record', rule: `${verdict.code}: ${verdict.message || 'refused by the core'}` }],
            {
              sent: true,
              providerCode: verdict.code,
            },
          ),
        );
        return;
      case 'soft_fail':
        p.reject(
          new TransientError(`${name}: ${verdict.code}: ${verdict.message || 'soft failure, replay later'}`, {
            sent: true,
            providerCode: verdict.code,
          }),
        );
        return;
      case 'not_reached':
        p.reject(
          new TransientError(`${name}: batch ${batchId} was ingested partly; this record was not reached`, {
            sent: true,
            providerCode: 'PARTIAL',
          }),
        );
        return;
      case 'rejected':
        p.reject(
          new TransientError(`${name}: batch ${batchId} rejected, nothing posted: ${verdict.reason}`, {
            sent: false,
            providerCode: 'REJECTED',
          }),
        );
        return;
      case 'unknown':
        p.reject(
          new AmbiguousOutcomeError(
            `${name}: ${verdict.reason} (batch ${batchId}): outcome unknown, resolved by lookup`,
            {
              providerCode: verdict.doubt,
            },
          ),
        );
        return;
    }
  }

  /**
   * Writes `path` as `path.part` chunk by chunk, resuming from what the server already holds, then renames it — not
   * after `deadline`. A rename that failed may still have happened: it is settled by looking, never by renaming blind.
   */
  private async uploadWithResume(
    path: string,
    data: Buffer,
    deadline: number,
    onRenameIssued: () => void = () => undefined,
  ): Promise<void> {
    const part = `${path}${PART}`;
    const inTime = (): void => {
      if (performance.now() > deadline) throw new UploadAbandoned(this.config.staleUploadMs / 2);
    };
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      let renameIssued = false;
      try {
        inTime();
        const sftp = await this.session();
        const existing = await sftp.exists(part);
        let offset = existing ? (await sftp.stat(part)).size : 0;
        if (offset > data.length) {
          await sftp.delete(part);
          offset = 0;
        }
        if (offset === 0) await sftp.put(Buffer.alloc(0), part);
        while (offset < data.length) {
          inTime();
          const chunk = data.subarray(offset, offset + this.config.batch.chunkBytes);
          await sftp.append(chunk, part);
          offset += chunk.length;
        }
        inTime();
        renameIssued = true;
        onRenameIssued();
        await sftp.rename(part, path);
        return;
      } catch (error) {
        lastError = error;
        // Our own deadline says nothing about the session: keep it for removing what was written.
        if (error instanceof UploadAbandoned) break;
        this.dropSession();
        if (performance.now() > deadline) break;
        if (renameIssued) {
          const landed = await this.renameLanded(path, part);
          if (landed === 'yes') return;
          if (landed === 'unknown') break;
        }
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  /** After a failed rename: the file is in place (yes), the part is still there alone (no), or neither (unknown). */
  private async renameLanded(path: string, part: string): Promise<'yes' | 'no' | 'unknown'> {
    try {
      const sftp = await this.session();
      if (await sftp.exists(path)) return 'yes';
      return (await sftp.exists(part)) ? 'no' : 'unknown';
    } catch {
      this.dropSession();
      return 'unknown';
    }
  }

  private async awaitReceipt(batchId: string): Promise<ReceiptRead> {
    const path = posix.join(this.config.remoteDir, this.config.receiptsDir, `${batchId}.receipt.json`);
    const deadline = Date.now() + this.config.receiptWindowMs;
    while (Date.now() < deadline && !this.closed) {
      try {
        const sftp = await this.session();
        if (await sftp.exists(path)) {
          const data = await this.readBounded(sftp, path, this.config.maxReceiptBytes);
          return data === null ? { kind: 'oversized' } : { kind: 'read', data };
        }
      } catch {
        this.dropSession();
      }
      await new Promise((resolve) => setTimeout(resolve, this.config.receiptPollMs));
    }
    return { kind: 'none' };
  }

  /** The file's bytes, reading at most one past `maxBytes`; null when it is bigger than that. */
  private async readBounded(sftp: SftpClient, path: string, maxBytes: number): Promise<Buffer | null> {
    const stream = sftp.createReadStream(path, { start: 0, end: maxBytes });
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > maxBytes) return null;
      }
    } finally {
      // Closing the handle is still in flight: a session dropped meanwhile fails it, which is no one's concern now.
      stream.on('error', () => undefined);
      stream.destroy();
    }
    return Buffer.concat(chunks);
  }

  /** Concurrent lookups share one refresh; a report is read again only when its size or modification time changed. */
  private postingReports(): Promise<Map<string, CachedReport>> {
    this.refreshing ??= this.refreshReports().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshReports(): Promise<Map<string, CachedReport>> {
    const dir = posix.join(this.config.remoteDir, this.config.outboundDir);
    const since = new Date(Date.now() - this.config.lookupReportDays * DAY_MS).toISOString().slice(0, 10);
    try {
      const sftp = await this.session();
      const listing = (await sftp.list(dir)).filter(
        (e) => (POSTING_REPORT_NAME.exec(e.name)?.[1] ?? '') >= since,
      );
      const names = new Set(listing.map((e) => e.name));
      for (const name of [...this.reports.keys()]) if (!names.has(name)) this.reports.delete(name);
      for (const entry of listing) {
        const cached = this.reports.get(entry.name);
        if (cached && cached.size === entry.size && cached.modifyTime === entry.modifyTime) continue;
        const data =
          entry.size > this.config.maxReportBytes
            ? null
            : await this.readBounded(sftp, posix.join(dir, entry.name), this.config.maxReportBytes);
        this.reports.set(entry.name, {
          size: entry.size,
          modifyTime: entry.modifyTime,
          report:
            data === null
              ? { ok: false, reason: `over maxReportBytes (${this.config.maxReportBytes}): not read` }
              : parsePostingReport(data.toString('utf8')),
        });
      }
      return this.reports;
    } catch (error) {
      this.dropSession();
      throw error;
    }
  }

  private session(): Promise<SftpClient> {
    this.client ??= (async () => {
      const sftp = new SftpClient(`closeout-${this.config.name}`);
      await sftp.connect({
        host: this.config.host,
        port: this.config.port,
        username: this.config.username,
        privateKey: readFileSync(this.config.privateKeyPath),
        hostVerifier: (key: Buffer) => key.equals(this.pinnedHostKey),
        readyTimeout: this.config.connectTimeoutMs,
      });
      return sftp;
    })().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  private dropSession(): void {
    const client = this.client;
    this.client = undefined;
    if (client) void client.then((c) => c.end()).catch(() => undefined);
  }
}

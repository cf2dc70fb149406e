import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import {
  AmbiguousOutcomeError,
  TransientError,
  ValidationError,
  type UnknownLookupResult,
} from '@closeout/writeback-domain';
import type {
  LookupQuery,
  SendReceipt,
  SendRequest,
  WritebackDestination,
} from '../destination/writeback-destination';
import type { SftpDestinationConfig } from './sftp-destination.config';

interface Pending {
  idempotencyKey: string;
  recordType: string;
  fields: Record<string, string>;
  resolve: (receipt: SendReceipt) => void;
  reject: (error: unknown) => void;
}

type RecordOutcome = 'POSTED' | 'DUPLICATE' | 'SOFT_FAIL' | 'HARD_FAIL';

interface Receipt {
  batchId: string;
  status: 'PROCESSED' | 'PARTIAL' | 'REJECTED';
  reason?: string;
  records: Array<{
    idempotencyKey: string;
    outcome: RecordOutcome;
    providerRef?: string;
    code?: string;
    message?: string;
  }>;
}

const PART = '.part';

/** RFC 4180 quoting, only where a field needs it. */
const csvField = (value: string): string =>
  /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

/**
 * A batch system of record reached over SFTP. Each `send` adds one record to the destination's open batch and
 * resolves when the core's receipt for that record comes back, so the writeback worker drives it unchanged: its
 * concurrency is how many records can share a batch.
 *
 * A batch is closed by size or time window, written as `<batchId>.csv` with the idempotency key as its first
 * column, uploaded as `.part` in chunks (a cut upload resumes from the remote size) and renamed when complete; the
 * manifest (record count, byte size, SHA-256, batch id) is written last the same way, and only then does the core
 * act. Receipts drive each record: POSTED/DUPLICATE → applied with the provider reference; SOFT_FAIL → transient,
 * replayed in a later batch under the same key; HARD_FAIL → validation, routed with the core's code and message; a
 * record a PARTIAL receipt does not mention → transient (the core never got to it); a REJECTED batch → transient,
 * nothing posted; no receipt within the window → ambiguous, resolved by `lookup` over the receipts.
 */
export class SftpDestination implements WritebackDestination {
  readonly protocol = 'SFTP' as const;
  private open: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private client: Promise<SftpClient> | undefined;
  /** Keys in batches uploaded but not yet answered: their outcome is not knowable yet. */
  private readonly awaiting = new Set<string>();
  /** What receipts said per key, from the receipts read so far (receipt files are immutable once written). */
  private readonly seen = new Map<string, { outcome: RecordOutcome; providerRef?: string }>();
  private readonly readReceipts = new Set<string>();
  private readonly pinnedHostKey: Buffer;
  private closed = false;

  constructor(private readonly config: SftpDestinationConfig) {
    const line = readFileSync(config.hostPublicKeyPath, 'utf8').trim().split(/\s+/);
    if (line.length < 2)
      throw new Error(`${config.name}: hostPublicKeyPath must hold an OpenSSH "type base64" line`);
    this.pinnedHostKey = Buffer.from(line[1]!, 'base64');
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
    return new Promise<SendReceipt>((resolve, reject) => {
      this.open.push({
        idempotencyKey: request.idempotencyKey,
        recordType: wire.target,
        fields: wire.body as Record<string, string>,
        resolve,
        reject,
      });
      if (this.open.length >= this.config.batch.maxRecords) this.closeBatch();
      else this.timer ??= setTimeout(() => this.closeBatch(), this.config.batch.windowMs);
    });
  }

  async lookup(query: LookupQuery): Promise<UnknownLookupResult> {
    if (this.awaiting.has(query.idempotencyKey)) {
      return { kind: 'inconclusive', reason: 'its batch is still waiting for the receipt' };
    }
    try {
      await this.readNewReceipts();
    } catch (error) {
      return { kind: 'inconclusive', reason: `receipts unreadable: ${(error as Error).message}` };
    }
    const known = this.seen.get(query.idempotencyKey);
    if (known && (known.outcome === 'POSTED' || known.outcome === 'DUPLICATE') && known.providerRef) {
      return { kind: 'found', providerRef: known.providerRef };
    }
    // No receipt says it was posted. Sending it again is safe only if the core answers a known key DUPLICATE.
    return this.config.honoursIdempotencyKey
      ? { kind: 'not_found' }
      : { kind: 'inconclusive', reason: 'no receipt mentions it, and the core does not de-duplicate by key' };
  }

  async probe(): Promise<void> {
    const sftp = await this.session();
    if (!(await sftp.exists(this.config.remoteDir)))
      throw new Error(`${this.config.remoteDir} does not exist`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.open.splice(0))
      p.reject(new TransientError(`${this.config.name}: shutting down, not sent`, { sent: false }));
    const client = this.client;
    this.client = undefined;
    if (client) await client.then((c) => c.end()).catch(() => undefined);
  }

  private closeBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.open.splice(0);
    if (batch.length > 0) void this.ship(batch);
  }

  private async ship(batch: Pending[]): Promise<void> {
    const batchId = `${this.config.name.replace(/[^A-Za-z0-9_-]/g, '_')}-${Date.now()}-${randomBytes(4).toString('hex')}`;
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
    let manifestMayBeThere = false;
    try {
      await this.uploadWithResume(posix.join(inbound, `${batchId}.csv`), csv);
      manifestMayBeThere = true;
      await this.uploadWithResume(posix.join(inbound, `${batchId}.manifest.json`), manifest);
    } catch (error) {
      if (!manifestMayBeThere) {
        // Without its manifest the core never touches a batch: nothing can have been posted.
        const failure = new TransientError(
          `${this.config.name}: upload of ${batchId} failed: ${(error as Error).message}`,
          {
            sent: false,
            cause: error,
          },
        );
        for (const p of batch) p.reject(failure);
        return;
      }
      // The manifest's rename may have reached the server: wait for the receipt as if it had.
    }
    for (const p of batch) this.awaiting.add(p.idempotencyKey);
    try {
      const receipt = await this.awaitReceipt(batchId);
      this.answer(batch, batchId, receipt);
    } finally {
      for (const p of batch) this.awaiting.delete(p.idempotencyKey);
    }
  }

  private answer(batch: Pending[], batchId: string, receipt: Receipt | null): void {
    if (!receipt) {
      const unknown = new AmbiguousOutcomeError(
        `${this.config.name}: no receipt for batch ${batchId} within ${this.config.receiptWindowMs} ms`,
      );
      for (const p of batch) p.reject(unknown);
      return;
    }
    if (receipt.status === 'REJECTED') {
      const rejected = new TransientError(
        `${this.config.name}: batch ${batchId} rejected, nothing posted: ${receipt.reason ?? ''}`,
        {
          sent: false,
          providerCode: 'REJECTED',
        },
      );
      for (const p of batch) p.reject(rejected);
      return;
    }
    const byKey = new Map(receipt.records.map((r) => [r.idempotencyKey, r]));
    for (const p of batch) {
      const r = byKey.get(p.idempotencyKey);
      if (r)
        this.seen.set(r.idempotencyKey, {
          outcome: r.outcome,
          ...(r.providerRef ? { providerRef: r.providerRef } : {}),
        });
      if (!r) {
        p.reject(
          new TransientError(
            `${this.config.name}: batch ${batchId} was ingested partly; this record was not reached`,
            {
              sent: true,
              providerCode: receipt.status,
            },
          ),
        );
      } else if ((r.outcome === 'POSTED' || r.outcome === 'DUPLICATE') && r.providerRef) {
        p.resolve({
          providerRef: r.providerRef,
          providerCode: r.outcome,
          replayed: r.outcome === 'DUPLICATE',
        });
      } else if (r.outcome === 'HARD_FAIL') {
        p.reject(
          new ValidationError(
            [{ path: 'record', rule: `${r.code ?? 'HARD_FAIL'}: ${r.message ?? 'refused by the core'}` }],
            {
              sent: true,
              providerCode: r.code ?? 'HARD_FAIL',
            },
          ),
        );
      } else {
        p.reject(
          new TransientError(
            `${this.config.name}: ${r.code ?? r.outcome}: ${r.message ?? 'soft failure, replay later'}`,
            {
              sent: true,
              providerCode: r.code ?? r.outcome,
            },
          ),
        );
      }
    }
  }

  /** Writes `path` as `path.part` chunk by chunk, resuming from what the server already holds, then renames it. */
  private async uploadWithResume(path: string, data: Buffer): Promise<void> {
    const part = `${path}${PART}`;
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        const sftp = await this.session();
        const existing = await sftp.exists(part);
        let offset = existing ? (await sftp.stat(part)).size : 0;
        if (offset > data.length) {
          await sftp.delete(part);
          offset = 0;
        }
        if (offset === 0) await sftp.put(Buffer.alloc(0), part);
        while (offset < data.length) {
          const chunk = data.subarray(offset, offset + this.config.batch.chunkBytes);
          await sftp.append(chunk, part);
          offset += chunk.length;
        }
        await sftp.rename(part, path);
        return;
      } catch (error) {
        lastError = error;
        this.dropSession();
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  private async awaitReceipt(batchId: string): Promise<Receipt | null> {
    const path = posix.join(this.config.remoteDir, this.config.receiptsDir, `${batchId}.receipt.json`);
    const deadline = Date.now() + this.config.receiptWindowMs;
    while (Date.now() < deadline && !this.closed) {
      try {
        const sftp = await this.session();
        if (await sftp.exists(path)) {
          this.readReceipts.add(`${batchId}.receipt.json`);
          return JSON.parse(String(await sftp.get(path))) as Receipt;
        }
      } catch {
        this.dropSession();
      }
      await new Promise((resolve) => setTimeout(resolve, this.config.receiptPollMs));
    }
    return null;
  }

  private async readNewReceipts(): Promise<void> {
    const sftp = await this.session();
    const dir = posix.join(this.config.remoteDir, this.config.receiptsDir);
    for (const entry of await sftp.list(dir)) {
      if (!entry.name.endsWith('.receipt.json') || this.readReceipts.has(entry.name)) continue;
      const receipt = JSON.parse(String(await sftp.get(posix.join(dir, entry.name)))) as Receipt;
      for (const r of receipt.records) {
        const before = this.seen.get(r.idempotencyKey);
        // A posting, once seen, is never forgotten in favour of a later failure for the same key.
        if (before && (before.outcome === 'POSTED' || before.outcome === 'DUPLICATE')) continue;
        this.seen.set(r.idempotencyKey, {
          outcome: r.outcome,
          ...(r.providerRef ? { providerRef: r.providerRef } : {}),
        });
      }
      this.readReceipts.add(entry.name);
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

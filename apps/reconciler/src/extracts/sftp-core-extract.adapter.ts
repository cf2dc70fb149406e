import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { parse } from 'csv-parse/sync';
import SftpClient from 'ssh2-sftp-client';
import type { Posting } from '@closeout/reconciler-domain';
import { asExtractError, ExtractError, withTimeout, type CoreExtractAdapter } from './core-extract.port';
import type { SftpExtractConfig } from './extract-config';

/** `postings-YYYY-MM-DD.csv`: the batch core's daily posting report (UTC day), rewritten as the day goes on. */
const REPORT = /^postings-(\d{4}-\d{2}-\d{2})\.csv$/;
const HEADER = 'idempotency_key,provider_ref,amount_minor,currency,posted_at,batch_id,line';

/** The SFTP batch core's daily posting reports in its outbound folder, read over SFTP with the pinned host key. */
export class SftpCoreExtractAdapter implements CoreExtractAdapter {
  readonly protocol = 'SFTP' as const;
  private readonly hostKey: Buffer;

  constructor(private readonly config: SftpExtractConfig) {
    const line = readFileSync(config.hostPublicKeyPath, 'utf8').trim().split(/\s+/);
    if (line.length < 2)
      throw new ExtractError(
        'EXTRACT_INVALID_ANSWER',
        `${config.destination}: hostPublicKeyPath must hold an OpenSSH "type base64" line`,
      );
    this.hostKey = Buffer.from(line[1]!, 'base64');
  }

  get destination(): string {
    return this.config.destination;
  }

  async extract(window: { from: number; to: number }, timeoutMs: number): Promise<Posting[]> {
    return this.session(timeoutMs, async (sftp) => {
      const dir = posix.join(this.config.remoteDir, this.config.outboundDir);
      const fromDay = new Date(window.from).toISOString().slice(0, 10);
      const toDay = new Date(window.to).toISOString().slice(0, 10);
      const postings: Posting[] = [];
      for (const entry of await sftp.list(dir)) {
        const day = REPORT.exec(entry.name)?.[1];
        if (day === undefined || day < fromDay || day > toDay) continue;
        const text = String(await sftp.get(posix.join(dir, entry.name)));
        for (const p of this.parse(entry.name, text))
          if (p.postedAt >= window.from && p.postedAt < window.to) postings.push(p);
      }
      return postings;
    });
  }

  async probe(timeoutMs: number): Promise<void> {
    await this.session(timeoutMs, async (sftp) => {
      const dir = posix.join(this.config.remoteDir, this.config.outboundDir);
      if ((await sftp.exists(dir)) !== 'd')
        throw new ExtractError('EXTRACT_UNAVAILABLE', `${this.destination}: ${dir} is not a folder`);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** One connection per call, closed after: a pass reads a few files once a minute, so no pooling is worth it. */
  private async session<T>(timeoutMs: number, work: (sftp: SftpClient) => Promise<T>): Promise<T> {
    const sftp = new SftpClient(`closeout-reconciler-${this.config.destination}`);
    try {
      return await withTimeout(
        (async () => {
          await sftp.connect({
            host: this.config.host,
            port: this.config.port,
            username: this.config.username,
            privateKey: readFileSync(this.config.privateKeyPath),
            hostVerifier: (key: Buffer) => key.equals(this.hostKey),
            readyTimeout: timeoutMs,
          });
          return work(sftp);
        })(),
        timeoutMs,
        this.destination,
      );
    } catch (error) {
      throw asExtractError(error, this.destination, timeoutMs);
    } finally {
      await sftp.end().catch(() => undefined);
    }
  }

  private parse(file: string, text: string): Posting[] {
    const lines = text.split(/\r?\n/).filter((l) => l !== '');
    if (lines[0] !== HEADER)
      throw new ExtractError(
        'EXTRACT_INVALID_ANSWER',
        `${this.destination}: ${file} must start with the header ${HEADER}`,
      );
    return lines.slice(1).map((line, i) => {
      const fields = splitCsvLine(line);
      if (fields === null)
        throw new ExtractError(
          'EXTRACT_INVALID_ANSWER',
          `${this.destination}: ${file} line ${i + 2}: unterminated quote`,
        );
      const [key, ref, amount, currency, postedAt] = fields;
      const at = Date.parse(postedAt ?? '');
      if (!ref || Number.isNaN(at))
        throw new ExtractError(
          'EXTRACT_INVALID_ANSWER',
          `${this.destination}: ${file} line ${i + 2}: provider_ref and posted_at are required`,
        );
      return {
        idempotencyKey: key ? key : null,
        providerRef: ref,
        amountMinor: amount && /^\d+$/.test(amount) ? Number(amount) : null,
        currency: currency ? currency : null,
        postedAt: at,
      };
    });
  }
}

/** One CSV line of the daily posting report (RFC 4180 quoting, by csv-parse); null on an unterminated quote. */
export function splitCsvLine(line: string): string[] | null {
  try {
    const [fields] = parse(line, { relax_quotes: true, relax_column_count: true }) as string[][];
    return fields ?? [''];
  } catch {
    return null;
  }
}

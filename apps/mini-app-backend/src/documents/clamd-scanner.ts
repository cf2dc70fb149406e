/**
 * The MalwareScanner adapter for ClamAV's clamd, over its TCP protocol: `zINSTREAM` (the document as chunks, each a
 * 4-byte big-endian length and its bytes, then a zero length) and `zPING` for health; every reply is NUL-terminated.
 *
 * Hand-rolled rather than an npm client: the protocol is two commands, and the clients on npm either centre on local
 * clamscan/clamdscan binaries and probe for them at init (clamscan) or are unmaintained (clamdjs, clamav.js); none
 * bounds the reply it reads, and none tells "unreachable" from "answered nonsense" with a typed error.
 */
import { Socket } from 'node:net';
import { DomainError } from '@closeout/errors';
import type { MalwareScanner, ScanVerdict } from './malware-scanner';

export type MalwareScannerErrorCode =
  /** No connection in time, refused, or dropped before a reply: retry later. */
  | 'MALWARE_SCANNER_UNAVAILABLE'
  /** Connected, but no complete reply in time: retry later. */
  | 'MALWARE_SCANNER_TIMEOUT'
  /** A reply that is not clamd's (garbage, too long, unterminated): retry later, and look at the scanner. */
  | 'MALWARE_SCANNER_BAD_REPLY'
  /** clamd refused the document as larger than its StreamMaxLength: retrying does not help. */
  | 'MALWARE_SCANNER_SIZE_LIMIT'
  /** clamd answered with an error of its own (out of memory, …): retry later. */
  | 'MALWARE_SCANNER_ERROR';

/** The scanner could not give a verdict; the upload is refused. Never quotes the document or the scanner's reply. */
export class MalwareScannerError extends DomainError<MalwareScannerErrorCode> {
  readonly retryable: boolean;

  constructor(
    code: MalwareScannerErrorCode,
    rule: string,
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(code, rule, options);
    this.retryable = code !== 'MALWARE_SCANNER_SIZE_LIMIT';
  }
}

export interface ClamdScannerOptions {
  host: string;
  port: number;
  /** Until the TCP connection is up. */
  connectTimeoutMs?: number;
  /** From the connection to clamd's complete reply, when `scan`/`ping` are not given one. */
  replyTimeoutMs?: number;
  /** Bytes per INSTREAM chunk. */
  chunkBytes?: number;
  /** Longest reply accepted (clamd's are a few dozen bytes; a signature name is short). */
  maxReplyBytes?: number;
  /**
   * clamd's StreamMaxLength (its default, 25 MiB, unless set). A larger document is refused here as SIZE_LIMIT without
   * a connection: when clamd refuses a stream it answers and hangs up on the bytes still coming, and the reset that
   * follows can reach this side before the answer is read, which would make a final refusal look like an outage.
   */
  maxStreamBytes?: number;
}

/** clamd's default StreamMaxLength. */
export const CLAMD_DEFAULT_STREAM_MAX_BYTES = 25 * 1024 * 1024;

const sizeLimit = (): MalwareScannerError =>
  new MalwareScannerError('MALWARE_SCANNER_SIZE_LIMIT', 'is larger than the malware scanner accepts', {
    field: 'document',
  });

const SIGNATURE = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

export class ClamdScanner implements MalwareScanner {
  readonly name = 'clamd';
  private readonly connectTimeoutMs: number;
  private readonly replyTimeoutMs: number;
  private readonly chunkBytes: number;
  private readonly maxReplyBytes: number;
  private readonly maxStreamBytes: number;

  constructor(private readonly options: ClamdScannerOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 30_000;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.maxReplyBytes = options.maxReplyBytes ?? 1_024;
    this.maxStreamBytes = options.maxStreamBytes ?? CLAMD_DEFAULT_STREAM_MAX_BYTES;
  }

  async scan(bytes: Buffer, timeoutMs = this.replyTimeoutMs): Promise<ScanVerdict> {
    if (bytes.length > this.maxStreamBytes) throw sizeLimit();
    const reply = await this.exchange(timeoutMs, (socket) => this.stream(socket, bytes));
    if (reply === 'stream: OK') return { status: 'CLEAN', scanner: this.name };
    const signature = /^stream: (.+) FOUND$/.exec(reply)?.[1];
    if (signature !== undefined && SIGNATURE.test(signature))
      return { status: 'INFECTED', scanner: this.name, signature };
    if (reply.startsWith('INSTREAM size limit exceeded')) throw sizeLimit();
    if (reply.endsWith(' ERROR'))
      throw new MalwareScannerError('MALWARE_SCANNER_ERROR', 'clamd could not scan the document');
    throw new MalwareScannerError(
      'MALWARE_SCANNER_BAD_REPLY',
      'clamd answered INSTREAM with an unknown reply',
    );
  }

  async ping(timeoutMs = 2_000): Promise<boolean> {
    try {
      return (
        (await this.exchange(timeoutMs, (socket) => void socket.write(Buffer.from('zPING\0')))) === 'PONG'
      );
    } catch (error) {
      if (error instanceof MalwareScannerError) return false;
      throw error;
    }
  }

  /** Writes the document as INSTREAM chunks, waiting for the socket to drain; a write after clamd hung up is moot. */
  private async stream(socket: Socket, bytes: Buffer): Promise<void> {
    const write = (chunk: Buffer): Promise<void> | undefined =>
      socket.write(chunk)
        ? undefined
        : new Promise((resolve) => {
            const done = (): void => {
              socket.off('drain', done).off('close', done);
              resolve();
            };
            socket.once('drain', done).once('close', done);
          });
    await write(Buffer.from('zINSTREAM\0'));
    for (let offset = 0; offset < bytes.length && !socket.destroyed; offset += this.chunkBytes) {
      const chunk = bytes.subarray(offset, offset + this.chunkBytes);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(chunk.length);
      await write(length);
      await write(chunk);
    }
    if (!socket.destroyed) socket.write(Buffer.alloc(4)); // no half-close: clamd answers on the open connection
  }

  /**
   * One connection, one command: connects within connectTimeoutMs, runs `send`, and resolves with clamd's reply (up
   * to its NUL) within `timeoutMs` of the connection, or rejects with a MalwareScannerError.
   */
  private exchange(timeoutMs: number, send: (socket: Socket) => Promise<void> | void): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket = new Socket();
      const received: Buffer[] = [];
      let receivedBytes = 0;
      let connected = false;
      let settled = false;
      const finish = (outcome: { reply: string } | { error: MalwareScannerError }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if ('reply' in outcome) resolve(outcome.reply);
        else reject(outcome.error);
      };
      let timer = setTimeout(
        () =>
          finish({
            error: new MalwareScannerError('MALWARE_SCANNER_UNAVAILABLE', 'no connection to clamd in time'),
          }),
        this.connectTimeoutMs,
      );
      socket.on('connect', () => {
        connected = true;
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            finish({
              error: new MalwareScannerError('MALWARE_SCANNER_TIMEOUT', 'clamd did not answer in time'),
            }),
          timeoutMs,
        );
        Promise.resolve(send(socket)).catch(() => undefined); // a failed write surfaces as the socket's error
      });
      socket.on('data', (data: Buffer) => {
        const nul = data.indexOf(0);
        const kept = nul === -1 ? data : data.subarray(0, nul);
        receivedBytes += kept.length;
        if (receivedBytes > this.maxReplyBytes)
          return finish({
            error: new MalwareScannerError('MALWARE_SCANNER_BAD_REPLY', 'clamd reply too long'),
          });
        received.push(kept);
        if (nul !== -1) finish({ reply: Buffer.concat(received).toString('latin1') });
      });
      socket.on('error', (cause) => {
        // clamd closes the connection when it refuses a stream; a complete reply already read wins over the broken pipe
        finish({
          error: connected
            ? new MalwareScannerError(
                'MALWARE_SCANNER_UNAVAILABLE',
                'connection to clamd failed before its reply',
                { cause },
              )
            : new MalwareScannerError('MALWARE_SCANNER_UNAVAILABLE', 'cannot connect to clamd', { cause }),
        });
      });
      socket.on('close', () =>
        finish({
          error:
            receivedBytes > 0
              ? new MalwareScannerError('MALWARE_SCANNER_BAD_REPLY', 'clamd reply not NUL-terminated')
              : new MalwareScannerError(
                  'MALWARE_SCANNER_UNAVAILABLE',
                  'clamd closed the connection without a reply',
                ),
        }),
      );
      socket.connect({ host: this.options.host, port: this.options.port });
    });
  }
}

/** Where no scanner is configured: every document is stored as NOT_SCANNED, and says so. */
export class NotScannedScanner implements MalwareScanner {
  scan(): Promise<ScanVerdict> {
    return Promise.resolve({ status: 'NOT_SCANNED', scanner: 'none' });
  }

  /** Nothing to be down. */
  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

/** The scanner the configuration asks for: clamd when CLAMAV_HOST is set, else NOT_SCANNED. */
export function createMalwareScanner(config: {
  CLAMAV_HOST?: string | undefined;
  CLAMAV_PORT?: number | undefined;
  CLAMAV_STREAM_MAX_BYTES?: number | undefined;
}): MalwareScanner {
  if (!config.CLAMAV_HOST) return new NotScannedScanner();
  return new ClamdScanner({
    host: config.CLAMAV_HOST,
    port: config.CLAMAV_PORT ?? 3310,
    ...(config.CLAMAV_STREAM_MAX_BYTES !== undefined
      ? { maxStreamBytes: config.CLAMAV_STREAM_MAX_BYTES }
      : {}),
  });
}

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { ExportRepository } from '../export.repository';
import type { ExportMetrics, FailureReason } from '../export.metrics';
import type { SyslogSinkConfig } from '../export.config';
import { toOcsf } from '../ocsf';
import { SinkHealth, type Sink, type SinkLog } from '../sink';
import { formatRfc5424, octetFrame } from './rfc5424';

/** TLS errors that mean "this is not the receiver we trust": an operator must act. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/** What a failed connection or write means. */
export function classifySocketError(error: Error & { code?: string }): FailureReason {
  if (error.code && UNTRUSTED.has(error.code)) return 'tls';
  if (error.code === 'ETIMEDOUT') return 'timeout';
  if (error.code === 'ECONNREFUSED' || error.code === 'EHOSTUNREACH' || error.code === 'ENOTFOUND')
    return 'unavailable';
  return 'connection';
}

/**
 * Syslog RFC 5424 over TLS with RFC 5425 octet-counting frames. TCP and TLS give no application acknowledgement, so
 * "delivered" is defined here: a frame is delivered once its write has been flushed to the socket AND the connection
 * then stayed up, without error or close from the receiver, for AUDIT_SYSLOG_CONFIRM_MS. Only such frames move the
 * position. When the connection breaks, everything after the position is sent again on the next connection: repeats
 * (same event id in the SD element and the OCSF metadata.uid) rather than loss.
 */
export class SyslogSink implements Sink {
  readonly name = 'syslog' as const;
  private readonly health: SinkHealth;
  private socket: TLSSocket | null = null;
  private broken: Error | null = null;
  /** The last seq written on this connection. */
  private sentSeq = 0;
  /** Flushed batches waiting for the confirm window: their last seq and when their write flushed. */
  private flushed: { seq: number; at: number }[] = [];
  private ca: Buffer | null = null;

  constructor(
    private readonly config: SyslogSinkConfig,
    private readonly repo: ExportRepository,
    private readonly metrics: ExportMetrics,
    private readonly log: SinkLog,
    private readonly pollMs: number,
    maxBackoffMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.health = new SinkHealth('syslog', metrics, log, maxBackoffMs);
  }

  private connect(): Promise<TLSSocket> {
    this.ca ??= readFileSync(this.config.caFile);
    const host = this.config.host;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port: this.config.port,
        ca: this.ca!,
        rejectUnauthorized: true,
        // SNI may not carry an IP address (RFC 6066); the certificate is then checked against the IP itself.
        ...(isIP(this.config.servername) ? {} : { servername: this.config.servername }),
        timeout: this.config.connectTimeoutMs,
      });
      const fail = (error: Error): void => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once('timeout', () =>
        fail(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
      );
      socket.once('secureConnect', () => {
        socket.off('error', fail);
        socket.setTimeout(0);
        socket.setKeepAlive(true, 10_000);
        socket.on('error', (e) => (this.broken ??= e));
        // The receiver closing (a stop, a restart) or sending anything means frames since the position may be lost.
        socket.on(
          'end',
          () =>
            (this.broken ??= Object.assign(new Error('receiver closed the connection'), {
              code: 'ECONNRESET',
            })),
        );
        socket.on(
          'close',
          () => (this.broken ??= Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })),
        );
        socket.on('data', () => undefined);
        resolve(socket);
      });
    });
  }

  private drop(): void {
    this.socket?.destroy();
    this.socket = null;
    this.broken = null;
    this.flushed = [];
  }

  /** The highest seq written on any connection of this process: writing it again counts as a repeat. */
  private resendUpTo = 0;

  private write(data: Buffer): Promise<void> {
    const socket = this.socket!;
    return new Promise((resolve, reject) => {
      socket.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  async step(): Promise<number> {
    const position = await this.repo.position('syslog');
    if (this.socket && this.broken) {
      const error = this.broken as Error & { code?: string };
      this.resendUpTo = Math.max(this.resendUpTo, this.sentSeq);
      this.drop();
      return this.health.failed(classifySocketError(error), error.code ?? error.message);
    }
    if (!this.socket) {
      try {
        this.socket = await this.connect();
      } catch (error) {
        const e = error as Error & { code?: string };
        return this.health.failed(classifySocketError(e), e.code ?? e.message);
      }
      this.sentSeq = position;
      this.flushed = [];
      this.log.info(
        { sink: 'syslog', host: this.config.host, port: this.config.port, from: position + 1 },
        'syslog over TLS connected',
      );
    }

    // Confirm what stayed written for the confirm window on a connection that is still sound.
    let confirmed = position;
    while (
      this.flushed.length > 0 &&
      this.now() - this.flushed[0]!.at >= this.config.confirmMs &&
      !this.broken
    ) {
      confirmed = this.flushed.shift()!.seq;
    }
    if (confirmed > position) {
      await this.repo.advance('syslog', confirmed);
      this.metrics.exported.inc({ sink: 'syslog' }, confirmed - position);
    }

    const records = await this.repo.recordsAfter(this.sentSeq, this.config.batchSize);
    if (records.length === 0) {
      return this.flushed.length > 0 ? Math.min(this.pollMs, this.config.confirmMs) : this.pollMs;
    }
    const frames = records.map((r) =>
      octetFrame(
        formatRfc5424(toOcsf(r), {
          hostname: this.config.hostname,
          appName: this.config.appName,
          procId: String(process.pid),
          sdId: this.config.sdId,
        }),
      ),
    );
    try {
      await this.write(Buffer.concat(frames));
    } catch (error) {
      this.broken ??= error as Error;
      return 0;
    }
    const last = records[records.length - 1]!.seq;
    const repeats = records.filter((r) => r.seq <= this.resendUpTo).length;
    if (repeats > 0) this.metrics.resent.inc({ sink: 'syslog' }, repeats);
    this.sentSeq = last;
    this.flushed.push({ seq: last, at: this.now() });
    this.health.ok();
    return 0;
  }

  /**
   * A clean close confirms everything written: our close_notify and FIN go after the last frame, and rsyslog (like
   * any stream receiver) closes its side only after reading to the end, so the receiver's own end proves it read
   * them all. Without that end within the timeout, the unconfirmed frames are sent again by the next process.
   */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    if (this.broken) {
      socket.destroy();
      return;
    }
    socket.removeAllListeners('end');
    socket.removeAllListeners('close');
    const peerEnded = new Promise<boolean>((resolve) => {
      socket.once('end', () => resolve(true));
      socket.once('close', () => resolve(false));
      setTimeout(() => resolve(false), 2_000).unref();
    });
    socket.end();
    const clean = (await peerEnded) && !this.broken;
    socket.destroy();
    if (clean && this.sentSeq > 0) {
      const position = await this.repo.position('syslog');
      if (this.sentSeq > position) {
        await this.repo.advance('syslog', this.sentSeq);
        this.metrics.exported.inc({ sink: 'syslog' }, this.sentSeq - position);
      }
    }
  }
}

import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { networkFailureOf, type NetworkFailure } from './network-failure';

/** What an HTTP client library (axios, the soap client) takes as its `transport`. */
export interface WatchedTransport {
  request(options: RequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest;
}

/**
 * One outbound HTTP call, watched so a failure can be classified honestly: `connectMs` covers establishing a new
 * connection only (nothing can have been sent before it), `requestMs` the whole exchange, and whether this request's
 * own socket ever connected decides "not sent" (TRANSIENT) against "may have been applied" (AMBIGUOUS).
 */
export class WatchedCall {
  /** Pass to the client library: aborted on either timeout or the caller's signal. */
  readonly signal: AbortSignal;
  readonly transport: WatchedTransport;
  private readonly controller = new AbortController();
  private connected = false;
  private stoppedBy: NetworkFailure | undefined;
  private readonly requestTimer: NodeJS.Timeout;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort = (): void =>
    this.stop({ code: 'ABORT_ERR', message: 'aborted by the caller', connected: this.connected });

  constructor(
    options: { secure: boolean; connectMs: number; requestMs: number },
    private readonly callerSignal?: AbortSignal,
  ) {
    this.signal = this.controller.signal;
    callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.requestTimer = setTimeout(
      () =>
        this.stop({
          code: 'ETIMEDOUT',
          message: `no complete answer within ${options.requestMs} ms`,
          connected: this.connected,
        }),
      options.requestMs,
    );
    const client = options.secure ? https : http;
    // The client library hands the ClientRequest over here, before its socket is assigned: the one place to watch it.
    this.transport = {
      request: (requestOptions, onResponse) => {
        const req = client.request(requestOptions, onResponse);
        req.once('socket', (socket: Socket) => {
          // A pooled keep-alive socket is connected already; a new one is still connecting when it is handed over.
          if (!socket.connecting) {
            this.connected = true;
            return;
          }
          this.connectTimer = setTimeout(
            () =>
              this.stop({
                code: 'ETIMEDOUT',
                message: `not connected within ${options.connectMs} ms`,
                connected: false,
              }),
            options.connectMs,
          );
          socket.once(options.secure ? 'secureConnect' : 'connect', () => {
            this.connected = true;
            clearTimeout(this.connectTimer);
          });
        });
        return req;
      },
    };
  }

  /** True once the call was stopped by a timeout or the caller (whatever error the library then reports). */
  get stopped(): boolean {
    return this.stoppedBy !== undefined;
  }

  /** The network failure behind `error`: the timeout or abort that stopped the call, else the error as seen. */
  failureOf(error: unknown): NetworkFailure {
    return this.stoppedBy ?? networkFailureOf(error, this.connected);
  }

  /** Clears the timers and the caller-abort listener; call when the exchange is over, however it ended. */
  dispose(): void {
    clearTimeout(this.requestTimer);
    clearTimeout(this.connectTimer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  private stop(failure: NetworkFailure): void {
    this.stoppedBy ??= failure;
    this.controller.abort();
  }
}

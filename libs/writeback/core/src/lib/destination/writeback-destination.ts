import type { Protocol } from '@closeout/contracts';
import type { UnknownLookupResult, WireMessage } from '@closeout/writeback-domain';

/** What one send to a destination is about. The wire message is already mapped and validated against its schema. */
export interface SendRequest {
  idempotencyKey: string;
  correlationId: string;
  wire: WireMessage;
  /** Aborted when the worker gives up on the call (shutdown); the adapter must stop waiting. */
  signal?: AbortSignal;
}

/** The destination applied the request. */
export interface SendReceipt {
  /** The destination's own transaction id. */
  providerRef: string;
  /** HTTP status, SOAP result code or receipt code, as the destination said it. */
  providerCode?: string;
  /** True when the destination answered from its own idempotency store (nothing new was posted). */
  replayed?: boolean;
}

/** Which posting to look for when the outcome of a send is unknown. */
export interface LookupQuery {
  idempotencyKey: string;
  /** Known when an earlier answer carried one; the strongest handle there is. */
  providerRef: string | null;
  correlationId: string;
  operation: string;
  signal?: AbortSignal;
}

/**
 * One system of record, seen through its protocol. The worker knows nothing of HTTP, SOAP or SFTP: it maps and
 * validates, calls `send` or `lookup` through the destination's circuit breaker, and hands whatever comes back to
 * the retry policy.
 *
 * - `send` resolves with a receipt or throws a classified `WritebackError` (TransientError, RateLimitedError,
 *   ValidationError, AmbiguousOutcomeError, ConflictError). Anything else it throws is treated as ambiguous.
 * - `lookup` answers `found` / `not_found` only when the destination said so; a lookup that could not be made or
 *   understood is `inconclusive` (it may also throw, which the worker treats as inconclusive).
 * - `probe` is a cheap read that proves the destination is serving again; it throws when it is not. The circuit
 *   breaker calls it before it lets writes through again.
 */
export interface WritebackDestination {
  readonly name: string;
  readonly protocol: Protocol;
  send(request: SendRequest): Promise<SendReceipt>;
  lookup(query: LookupQuery): Promise<UnknownLookupResult>;
  probe(signal?: AbortSignal): Promise<void>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}

import { isAxiosError } from 'axios';
import { AmbiguousOutcomeError, TransientError } from '@closeout/writeback-domain';

/**
 * How an outbound exchange that produced no answer is read, whatever the protocol on top (REST, SOAP over HTTP):
 * whether a byte of the request can have left decides "not sent" (TRANSIENT) against "may have been applied"
 * (AMBIGUOUS). Pure; `WatchedCall` gathers the facts.
 */

/** An exchange that ended without an answer. */
export interface NetworkFailure {
  /** The errno or axios code (`ECONNRESET`, `ECONNABORTED`, …); `ETIMEDOUT` for our own timeouts. */
  code: string | undefined;
  message: string;
  /**
   * Whether this request's connection was ever established (TCP, and TLS for https). Until it is, not a byte of
   * the request can have left, so the failure is safe to retry whatever its code.
   */
  connected: boolean;
  cause?: unknown;
}

/** Errors that only happen before a connection exists: the request certainly went nowhere. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * Classifies an exchange that produced no answer. Before the connection existed it is transient and unsent;
 * after, the request may have been written and applied, so it is ambiguous — resolved by lookup, never re-sent blind.
 */
export function classifyNetworkFailure(
  failure: NetworkFailure,
  destination: string,
): TransientError | AmbiguousOutcomeError {
  const what = `${failure.code ?? 'network error'}: ${failure.message}`;
  const options = failure.cause === undefined ? {} : { cause: failure.cause };
  if (!failure.connected || (failure.code !== undefined && UNREACHABLE_CODES.has(failure.code))) {
    return new TransientError(`${destination} was not reached (${what}): nothing was sent`, {
      ...options,
      sent: false,
    });
  }
  return new AmbiguousOutcomeError(
    `${destination}: the exchange broke off after the request may have been written (${what})`,
    options,
  );
}

/**
 * The `NetworkFailure` of an error axios (or Node) threw. An AxiosError carries the request config — headers,
 * credentials included — so only the underlying system error is kept as the cause.
 */
export function networkFailureOf(error: unknown, connected: boolean): NetworkFailure {
  if (isAxiosError(error)) {
    const cause: unknown = error.cause;
    const causeCode = field(cause, 'code');
    return {
      code: typeof causeCode === 'string' ? causeCode : error.code,
      message: error.message,
      connected,
      ...(cause instanceof Error && !isAxiosError(cause) ? { cause } : {}),
    };
  }
  const code = field(error, 'code');
  return {
    code: typeof code === 'string' ? code : undefined,
    message: error instanceof Error ? error.message : String(error),
    connected,
    ...(error instanceof Error ? { cause: error } : {}),
  };
}

import {
  AmbiguousOutcomeError,
  assertUnreachable,
  ConflictError,
  RateLimitedError,
  TransientError,
  ValidationError,
  type WritebackError,
} from '@closeout/writeback-domain';
import { boundedText } from '@closeout/writeback-core';

/**
 * Turns a SOAP fault, or an HTTP answer that carried none, into the typed writeback errors. Pure: the vendor's codes
 * are matched against the destination's fault map, so every SOAP-specific judgement lives here and in configuration.
 */

export const SOAP_FAULT_ERROR_CLASSES = [
  'TRANSIENT',
  'RATE_LIMITED',
  'VALIDATION',
  'AMBIGUOUS',
  'CONFLICT',
] as const;
export type SoapFaultErrorClass = (typeof SOAP_FAULT_ERROR_CLASSES)[number];

/** One row of a destination's fault map: the first row whose `code` and `faultStringPattern` both match wins. */
export interface SoapFaultMapEntry {
  code?: string;
  faultStringPattern?: string;
  errorClass: SoapFaultErrorClass;
  /** For TRANSIENT and VALIDATION: whether the request reached the core (default true: a fault is an answer). */
  sent?: boolean;
}

/** The CB-* codes of CoreBankingService-2019.2; a destination's own rows are tried before these. */
export const DEFAULT_SOAP_FAULT_MAP: readonly SoapFaultMapEntry[] = [
  { code: 'CB-1001', errorClass: 'VALIDATION' },
  { code: 'CB-1002', errorClass: 'VALIDATION' },
  { code: 'CB-4090', errorClass: 'CONFLICT' },
  { code: 'CB-4290', errorClass: 'RATE_LIMITED' },
  { code: 'CB-5003', errorClass: 'TRANSIENT' },
  { code: 'CB-9001', errorClass: 'AMBIGUOUS' },
];

/** A SOAP fault as far as classifying it goes, read from either SOAP version's envelope. */
export interface SoapFault {
  /** The vendor's code from the fault detail (`VendorError.Code`), when there is one. */
  code: string | undefined;
  /** `faultstring` (1.1) or `Reason/Text` (1.2). */
  faultString: string;
  /** `VendorError.Message`. */
  message: string | undefined;
  retryAfterSeconds: number | undefined;
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

/** node-soap keeps an element with attributes as `{ $value }`. */
function textOf(value: unknown): string | undefined {
  const inner = field(value, '$value') ?? value;
  if (typeof inner === 'string') return inner;
  if (typeof inner === 'number') return String(inner);
  return undefined;
}

/** The fault in a node-soap error (`error.root.Envelope.Body.Fault`), SOAP 1.1 or 1.2; undefined when there is none. */
export function soapFaultOf(error: unknown): SoapFault | undefined {
  const fault = field(field(field(field(error, 'root'), 'Envelope'), 'Body'), 'Fault');
  if (fault === undefined || fault === null) return undefined;
  const faultString =
    textOf(field(fault, 'faultstring')) ?? textOf(field(field(fault, 'Reason'), 'Text')) ?? '';
  const vendor = field(field(fault, 'detail') ?? field(fault, 'Detail'), 'VendorError');
  const retryAfter = Number(textOf(field(vendor, 'RetryAfterSeconds')));
  return {
    code: textOf(field(vendor, 'Code')),
    faultString,
    message: textOf(field(vendor, 'Message')),
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  };
}

function matches(entry: SoapFaultMapEntry, fault: SoapFault): boolean {
  if (entry.code !== undefined && entry.code !== fault.code) return false;
  if (entry.faultStringPattern !== undefined && !new RegExp(entry.faultStringPattern).test(fault.faultString))
    return false;
  return true;
}

/**
 * Classifies a SOAP fault by the first matching row of `faultMap`. A fault no row knows is AMBIGUOUS: an unknown
 * vendor fault may have been raised after the posting, so it is resolved by QueryTransaction, never re-sent blind.
 */
export function classifySoapFault(
  fault: SoapFault,
  faultMap: readonly SoapFaultMapEntry[],
  destination: string,
): WritebackError {
  // A fault's words are the core's to choose: bounded before they reach the ledger, logs or Kafka.
  const code = fault.code === undefined ? undefined : boundedText(fault.code, 100);
  const providerCode = code ?? boundedText(fault.faultString, 100);
  const words = boundedText(fault.message ?? fault.faultString, 300);
  const said = `${destination} faulted ${code ?? '(no vendor code)'}: ${words}`;
  const entry = faultMap.find((e) => matches(e, fault));
  if (entry === undefined) {
    return new AmbiguousOutcomeError(`${said}: unmapped fault, it may have been applied`, { providerCode });
  }
  switch (entry.errorClass) {
    case 'TRANSIENT':
      return new TransientError(`${said}: nothing was applied`, { sent: entry.sent ?? true, providerCode });
    case 'RATE_LIMITED':
      return new RateLimitedError(`${said}: throttled, nothing was applied`, {
        providerCode,
        ...(fault.retryAfterSeconds === undefined ? {} : { retryAfterMs: fault.retryAfterSeconds * 1_000 }),
      });
    case 'VALIDATION':
      return new ValidationError([{ path: 'wire', rule: `${code ?? 'fault'}: ${words}` }], {
        sent: entry.sent ?? true,
        providerCode,
      });
    case 'AMBIGUOUS':
      return new AmbiguousOutcomeError(`${said}: it may have been applied`, { providerCode });
    case 'CONFLICT':
      return new ConflictError(`${said}: it holds a different request under this idempotency key`, {
        providerCode,
      });
    default:
      return assertUnreachable(entry.errorClass, 'SOAP fault error class');
  }
}

/**
 * Classifies an HTTP answer that carried no SOAP fault and no SOAP response: a page from the HTTP stack or a gateway in
 * front of the service. Such a page says nothing about the core behind it, so once the request may have been passed on
 * (any 5xx, a gateway timeout) the outcome is unknown, resolved by QueryTransaction. Only answers that refuse the
 * request at the door (throttling, credentials, a wrong path or method) mean nothing was posted.
 */
export function classifySoapHttpStatus(status: number, destination: string): WritebackError {
  const providerCode = String(status);
  if (status === 429) {
    return new RateLimitedError(`${destination} answered 429 without a SOAP fault`, { providerCode });
  }
  if (status >= 400 && status < 500 && status !== 408) {
    return new TransientError(
      `${destination} answered HTTP ${status} without a SOAP fault: refused before the service, nothing was applied`,
      { sent: true, providerCode },
    );
  }
  return new AmbiguousOutcomeError(
    `${destination} answered HTTP ${status} without a SOAP fault or response (a gateway's page?): it may have been applied`,
    { providerCode },
  );
}

import { STATUS_CODES } from 'node:http';
import {
  AmbiguousOutcomeError,
  ConflictError,
  RateLimitedError,
  TransientError,
  ValidationError,
  type ValidationIssue,
  type WritebackError,
} from '@closeout/writeback-domain';
import { boundedText } from '@closeout/writeback-core';

/**
 * Turns what a REST destination answered into the typed writeback errors. Pure: the retry policy decides what
 * happens next from the class alone, so every REST-specific judgement lives here. An exchange that produced no
 * answer at all is read by `classifyNetworkFailure` (`@closeout/writeback-core`), shared with SOAP.
 */

/** An HTTP answer, as far as classifying it goes. */
export interface HttpAnswer {
  status: number;
  statusText?: string;
  /** Header names in lower case, as Node and axios give them. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body: unknown;
}

/**
 * 5xx answers that mean "a gateway or proxy stopped waiting for the core", not "the core refused": the core may
 * still have committed. 504 is the standard one; 524 (Cloudflare) and 598 (some proxies) say the same.
 */
const UPSTREAM_TIMEOUT_STATUSES: ReadonlySet<number> = new Set([504, 524, 598]);

/** Body texts from a destination are kept for operators, but short: they land in ledger rows, logs and Kafka. */
const MAX_DETAIL_CHARS = 300;
/** A provider code is a status and a short error code; anything longer is cut. */
const MAX_CODE_CHARS = 120;
/** Field-level issues kept from one answer; a core listing thousands says no more than the first few. */
const MAX_ISSUES = 20;

/** An answer status, optionally narrowed by the body's `error` code (see the destination's `answers`). */
export interface AnswerMatch {
  status: number;
  error?: string | undefined;
}

/** Which error answers mean what, as the destination documents them. */
export interface ErrorAnswerSemantics {
  /** "The first request under this key is still being processed": ambiguous, resolved by lookup. */
  inProgress: readonly AnswerMatch[];
  /** "This key was used with another payload": a conflict. Matched before `inProgress`. */
  keyReused: readonly AnswerMatch[];
}

/** The IETF Idempotency-Key draft's reading (and Stripe's): 409 in progress, 422 `idempotency_key_reused` reused. */
export const DEFAULT_ERROR_ANSWERS: ErrorAnswerSemantics = {
  inProgress: [{ status: 409 }],
  keyReused: [
    { status: 422, error: 'idempotency_key_reused' },
    { status: 409, error: 'idempotency_key_reused' },
  ],
};

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

function stringField(body: unknown, name: string): string | undefined {
  const value = field(body, name);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** `422 validation_failed`, or just `502` when the body named no error: the destination's words, for the audit trail. */
export function providerCodeOf(answer: Pick<HttpAnswer, 'status' | 'body'>): string {
  const error = stringField(answer.body, 'error');
  return boundedText(
    error === undefined ? String(answer.status) : `${answer.status} ${error}`,
    MAX_CODE_CHARS,
  );
}

function matchesAnswer(match: AnswerMatch, answer: HttpAnswer): boolean {
  return (
    match.status === answer.status &&
    (match.error === undefined || stringField(answer.body, 'error') === match.error)
  );
}

function detailOf(answer: HttpAnswer): string {
  const message = stringField(answer.body, 'message');
  return message === undefined ? '' : ` (${message.slice(0, MAX_DETAIL_CHARS)})`;
}

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP-date, never negative; undefined when absent or
 * unreadable (the retry policy then backs off on its own).
 */
export function parseRetryAfterMs(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // Every HTTP-date form starts with a day name; checking for it keeps Date.parse from reading "1.5" as a year.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function validationIssues(answer: HttpAnswer): ValidationIssue[] {
  const errors = field(answer.body, 'errors');
  const issues = (Array.isArray(errors) ? errors : []).slice(0, MAX_ISSUES).flatMap((e: unknown) => {
    const name = stringField(e, 'field');
    const rule = stringField(e, 'rule');
    return name !== undefined && rule !== undefined
      ? [{ path: `wire.${boundedText(name, MAX_CODE_CHARS)}`, rule: boundedText(rule, MAX_DETAIL_CHARS) }]
      : [];
  });
  if (issues.length > 0) return issues;
  const reason =
    stringField(answer.body, 'error') ?? (answer.statusText || STATUS_CODES[answer.status] || 'rejected');
  return [{ path: 'response', rule: boundedText(`${answer.status} ${reason}`, MAX_DETAIL_CHARS) }];
}

/**
 * Classifies an HTTP answer to a write. Returns null for 2xx (the caller reads the receipt); any other status
 * becomes the error the retry policy acts on.
 */
export function classifyHttpAnswer(
  answer: HttpAnswer,
  destination: string,
  semantics: ErrorAnswerSemantics = DEFAULT_ERROR_ANSWERS,
  now: number = Date.now(),
): WritebackError | null {
  const { status } = answer;
  if (status >= 200 && status < 300) return null;

  const providerCode = providerCodeOf(answer);
  const said = `${destination} answered ${providerCode}${detailOf(answer)}`;
  const retryAfterMs = parseRetryAfterMs(answer.headers['retry-after'], now);

  // A 503 that says when to come back is throttling, not an outage: honour the wait rather than back off blind.
  if (status === 429 || (status === 503 && retryAfterMs !== undefined)) {
    return new RateLimitedError(`${said}: throttled, nothing was applied`, { providerCode, retryAfterMs });
  }
  if (semantics.keyReused.some((m) => matchesAnswer(m, answer))) {
    return new ConflictError(`${said}: it holds a different request under this idempotency key`, {
      providerCode,
    });
  }
  if (semantics.inProgress.some((m) => matchesAnswer(m, answer))) {
    // Not a conflict: the first request under our key is still being worked on and may yet be applied. Ask, later.
    return new AmbiguousOutcomeError(
      `${said}: a request under this idempotency key is still in progress; its outcome is resolved by lookup`,
      { providerCode, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
  if (status === 401 || status === 403) {
    // Not the payload's fault, so not a validation failure: operations fix the credentials and the row goes on.
    return new TransientError(
      `${said}: credentials or permissions were refused, nothing was posted; fix the destination's auth configuration`,
      { sent: true, providerCode },
    );
  }
  if (status === 408 || UPSTREAM_TIMEOUT_STATUSES.has(status)) {
    return new AmbiguousOutcomeError(`${said}: timed out on the way, it may have been applied`, {
      providerCode,
    });
  }
  if (status >= 400 && status < 500) {
    return new ValidationError(validationIssues(answer), { sent: true, providerCode });
  }
  if (status >= 500 && status < 600) {
    // The core's own error answer (JSON) says nothing was applied; a page from a gateway or proxy in front of it says
    // nothing about the core at all, and the request may have reached it.
    if (answer.body === undefined) {
      return new AmbiguousOutcomeError(
        `${said}: an error page, not the core's own answer; the request may have reached the core`,
        { providerCode },
      );
    }
    return new TransientError(`${said}: server error, nothing was applied`, { sent: true, providerCode });
  }
  // 1xx/3xx to a write (redirects are not followed): nothing says whether it was applied, so ask before re-sending.
  return new AmbiguousOutcomeError(`${said}: unexpected status, it may have been applied`, { providerCode });
}

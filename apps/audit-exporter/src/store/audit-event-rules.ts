import type { AuditEvent } from '@closeout/contracts';

/** Bounds of an event the store takes: wider than what `@closeout/audit` builds, so a real event is never refused. */
export const STORED_EVENT_LIMITS = { id: 256, name: 128 } as const;

/** Earliest and latest `occurredAt` accepted (epoch ms): 2000-01-01 to 9999-12-31. */
const OCCURRED_AT = { min: Date.UTC(2000, 0, 1), max: Date.UTC(9999, 11, 31) } as const;

function textProblem(
  field: string,
  value: string | null,
  max: number,
  required: boolean,
): string | undefined {
  if (value === null) return required ? `${field}: is required` : undefined;
  if (required && value.trim() === '') return `${field}: must not be blank`;
  if (value.length > max) return `${field}: must be at most ${max} characters`;
  return undefined;
}

/**
 * Why an audit event cannot be stored as it is (its DLQ reason: the field and the rule, never the value), or
 * undefined. PostgreSQL's jsonb refuses NUL and lone surrogates, so they are refused here, by field, rather than as a
 * failed batch.
 */
export function storedEventProblem(event: AuditEvent): string | undefined {
  const problem =
    textProblem('eventId', event.eventId, STORED_EVENT_LIMITS.id, true) ??
    textProblem('caseId', event.caseId, STORED_EVENT_LIMITS.id, false) ??
    textProblem('action', event.action, STORED_EVENT_LIMITS.name, true) ??
    textProblem('service', event.service, STORED_EVENT_LIMITS.name, true);
  if (problem) return problem;
  if (
    !Number.isSafeInteger(event.occurredAt) ||
    event.occurredAt < OCCURRED_AT.min ||
    event.occurredAt > OCCURRED_AT.max
  )
    return 'occurredAt: must be epoch milliseconds between 2000-01-01 and 9999-12-31';
  const bad = findBadString(event, 'event');
  return bad ? `${bad}: must not contain NUL or lone surrogates` : undefined;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (s: string): boolean => s.includes('\u0000') || LONE_SURROGATE.test(s);

function findBadString(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return unstorable(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (unstorable(key)) return `${path} (a key)`;
    const found = findBadString(
      item,
      /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) ? `${path}.${key}` : `${path}[…]`,
    );
    if (found) return found;
  }
  return undefined;
}

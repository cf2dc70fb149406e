import { DomainError } from '@closeout/errors';

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Topics, type Actor, type AuditEvent, type AuditKey, type AuditOutcome } from '@closeout/contracts';
import { findContactPoints, findPans, maskPans, redactText } from '@closeout/privacy';

/** What a service says when it audits a decision; the builder fills in when, where and the event id. */
export interface AuditInput {
  /** who */
  actor: Actor;
  /** what, as `<entity>.<verb>`: `writeback.applied`, `case.completed`, `action.refused` */
  action: string;
  outcome: AuditOutcome;
  /** why: the rule, policy or cause that decided it */
  reason: string;
  correlationId: string;
  causationId?: string | null;
  /** The case the decision concerns; required (non-blank) for the case-scoped families (CASE_SCOPED_FAMILIES). */
  caseId?: string | null;
  /** contract, mapping and definition versions in force */
  versions?: Record<string, string>;
  /** idempotency key, provider reference, payload and consent references: references, never payloads */
  references?: Record<string, string>;
}

export type AuditFieldCode = 'AUDIT_FIELD_MISSING' | 'AUDIT_FIELD_INVALID' | 'AUDIT_FIELD_UNSAFE';

/** Evidence refused where it is built: names the field (`references.providerRef`) and the rule it breaks. */
export class AuditFieldError extends DomainError<AuditFieldCode> {
  constructor(
    field: string,
    rule = 'is required and must not be empty in an audit event',
    code: AuditFieldCode = 'AUDIT_FIELD_MISSING',
  ) {
    super(code, rule, { field });
  }
}

/**
 * Bounds. A reason is prose and is cut (marked with `…`) at `reason` characters: it often quotes a provider's error.
 * A reference or version is an id: its value is cut at `value` characters the same way. A map holds at most
 * `mapEntries` entries (more is refused: which ones to drop is the caller's decision, not the builder's) under
 * names of at most `mapKey` characters. Structured fields (ids, action, service, host) are refused over `id`.
 */
export const AUDIT_LIMITS = { reason: 1000, value: 512, mapEntries: 50, mapKey: 64, id: 512 } as const;

/**
 * Action families whose every event concerns one case: their events must carry a caseId. Other families (trigger.*
 * refusals, reconciler.*, messaging.*, consent.*, miniapp.*, identity.*) may concern no case yet.
 */
export const CASE_SCOPED_FAMILIES = [
  'case',
  'action',
  'exception',
  'timer',
  'outreach',
  'writeback',
] as const;

/** Case-scoped families' events that are about a record refused before any case could be read from it. */
const CASE_SCOPE_EXEMPT = new Set(['writeback.request_unauthenticated']);

const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(['SUCCESS', 'FAILURE', 'DENIED', 'PENDING']);
const ACTOR_TYPES: ReadonlySet<string> = new Set<Actor['type']>(['SYSTEM', 'SERVICE', 'CUSTOMER', 'AGENT']);

/** `<entity>.<verb>` and deeper (`messaging.webhook.refused`): lower-case words joined by `.`, `_` or `-`. */
const ACTION = /^[a-z][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$/;
/** A reference or version name: a code identifier (`providerRef`, `sessionRef`, `trigger-mapping`). */
const MAP_KEY = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
/** Names that would hold a secret or a raw card: nothing under such a name can be made safe by masking. */
const SECRET_KEY = /(password|passwd|secret|api[-_]?key|private[-_]?key|cvv|cvc|card[-_]?number|^pan$)/i;
/** Names of one-time codes: `code`, `otp`, `oneTimeCode`, `passcode`, `pin`. Their six-digit runs are masked. */
const CODE_KEY = /(code|otp|passcode|pin)$/i;
const SIX_DIGITS = /(?<![0-9])[0-9]{6}(?![0-9])/g;
/** A six-digit run shortly after the words code/otp/passcode in prose: `one-time code 123456 sent`. */
const CODE_IN_TEXT = /\b(code|otp|passcode|pin)\b([^0-9]{0,24})(?<![0-9])[0-9]{6}(?![0-9])/gi;

/** Characters that may stand between two digits of one card or phone number: libs/privacy's PAN rule allows one
 * space or hyphen, its phone rule up to two of space, dot, hyphen and parentheses. */
const isNumberSeparator = (c: number): boolean => c === 32 || c === 45 || c === 46 || c === 40 || c === 41;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** A letter or `_`: digits touching one are part of a token, never a group of a card or phone number. */
const isWordLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * Whether `text` could hold a card number (13+ digits), a phone number (7+ digits) or an e-mail address (an `@`):
 * a cheap gate before libs/privacy's scanners, which cost tens of µs on a long id. Both scanners need at least 7
 * digits in one run of digit groups with at most two of ` .-()` between neighbours, and neither counts a group
 * that touches a letter or `_` (the PAN rule calls it glued; a phone number must begin and end at a word boundary).
 * So hex ids (case_74e5f3a0…, UUIDs, idempotency keys) pass unscanned, and anything the scanners could match is
 * scanned. The property test in audit-event.spec.ts holds the gate to that.
 */
export function mayHoldPersonalData(text: string): boolean {
  if (text.includes('@')) return true;
  let run = 0;
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    const glued = isWordLetter(text.charCodeAt(start - 1)) || isWordLetter(text.charCodeAt(i));
    run = glued ? 0 : run + (i - start);
    if (run >= 7) return true;
    // The run goes on only across at most two separators to the next digit.
    let gap = 0;
    while (gap < 3 && i + gap < text.length && isNumberSeparator(text.charCodeAt(i + gap))) gap++;
    if (gap > 2 || !isDigit(text.charCodeAt(i + gap))) run = 0;
  }
  return false;
}

/** The machine's name, read once: `os.hostname()` is a system call, and every audit event carries it. */
const HOST = hostname();

/** Card numbers masked (structured ids: a contact point rule would mangle them). */
const maskCards = (text: string): string => (mayHoldPersonalData(text) ? maskPans(text) : text);
/** Card numbers and contact points masked (libs/privacy's redactText). */
const redact = (text: string): string => (mayHoldPersonalData(text) ? redactText(text) : text);

export function isCaseScoped(action: string): boolean {
  const family = action.split('.', 1)[0] ?? '';
  return (CASE_SCOPED_FAMILIES as readonly string[]).includes(family) && !CASE_SCOPE_EXEMPT.has(action);
}

/**
 * Builds a complete audit.event.v1: the event id, when (now) and where (service, host) filled in, every required
 * field checked (eventId, occurredAt, correlationId, actor, action, outcome, service, host, reason; caseId for a
 * case-scoped action), sizes bounded and personal data minimised (see `finishAuditEvent`). Evidence that is
 * incomplete or cannot be made safe throws AuditFieldError naming the field and the rule, rather than being found
 * by an auditor later.
 */
export function buildAuditEvent(
  service: string,
  input: AuditInput,
  now: () => number = Date.now,
): AuditEvent {
  return finishAuditEvent({
    eventId: randomUUID(),
    occurredAt: now(),
    correlationId: input.correlationId,
    causationId: input.causationId ?? null,
    actor: input.actor,
    action: input.action,
    outcome: input.outcome,
    service,
    host: HOST,
    reason: input.reason,
    caseId: input.caseId ?? null,
    versions: input.versions ?? {},
    references: input.references ?? {},
  });
}

/**
 * The event as it may be stored and published, whoever built it: every required field checked, then card numbers
 * masked in every string field; contact points masked in the reason, the actor id, and every reference and version
 * value (libs/privacy's `redactText`); six-digit codes masked under code/otp-like names and after those words in the
 * reason; the reason and map values cut to their bounds. Structured ids (event, correlation, causation, case) are
 * ours and only masked for card numbers. A map with too many entries, an entry named like a secret, an entry whose
 * value is not a string (a payload, not a reference), or a value still holding a card number or contact point after
 * masking throws AuditFieldError.
 */
export function finishAuditEvent(event: AuditEvent): AuditEvent {
  const text = (field: string, value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '') throw new AuditFieldError(field);
    return value;
  };
  const id = (field: string, value: unknown): string => {
    const s = text(field, value);
    if (s.length > AUDIT_LIMITS.id)
      throw new AuditFieldError(
        field,
        `must be at most ${AUDIT_LIMITS.id} characters`,
        'AUDIT_FIELD_INVALID',
      );
    return maskCards(s);
  };
  const eventId = id('eventId', event.eventId);
  if (!Number.isSafeInteger(event.occurredAt) || event.occurredAt < 0)
    throw new AuditFieldError(
      'occurredAt',
      'must be a whole number of ms since the epoch',
      'AUDIT_FIELD_INVALID',
    );
  const actor = event.actor as Partial<Actor> | undefined;
  if (!actor || typeof actor !== 'object') throw new AuditFieldError('actor');
  const actorType = actor.type;
  if (actorType === undefined || !ACTOR_TYPES.has(actorType))
    throw new AuditFieldError(
      'actor.type',
      `must be one of ${[...ACTOR_TYPES].join(', ')}`,
      'AUDIT_FIELD_INVALID',
    );
  const action = id('action', event.action);
  if (!ACTION.test(action))
    throw new AuditFieldError(
      'action',
      'must be <entity>.<verb> in lower case (writeback.applied)',
      'AUDIT_FIELD_INVALID',
    );
  if (!OUTCOMES.has(String(event.outcome)))
    throw new AuditFieldError('outcome', `must be one of ${[...OUTCOMES].join(', ')}`, 'AUDIT_FIELD_INVALID');
  const caseId = event.caseId == null ? null : id('caseId', event.caseId);
  if (caseId === null && isCaseScoped(action))
    throw new AuditFieldError(
      'caseId',
      `is required for a case-scoped action (${action.split('.', 1)[0]}.*)`,
    );
  const finished: AuditEvent = {
    eventId,
    occurredAt: event.occurredAt,
    correlationId: id('correlationId', event.correlationId),
    causationId: event.causationId == null ? null : id('causationId', event.causationId),
    actor: { type: actorType, id: redact(id('actor.id', actor.id)) },
    action,
    outcome: event.outcome,
    service: id('service', event.service),
    host: id('host', event.host),
    reason: maskCodesInText(redact(cut(text('reason', event.reason), AUDIT_LIMITS.reason))),
    caseId,
    versions: minimiseMap('versions', event.versions ?? {}),
    references: minimiseMap('references', event.references ?? {}),
  };
  return finished;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function maskCodesInText(text: string): string {
  return text.replace(CODE_IN_TEXT, (_m, word: string, between: string) => `${word}${between}******`);
}

function minimiseMap(field: 'versions' | 'references', map: Record<string, unknown>): Record<string, string> {
  if (map === null || typeof map !== 'object' || Array.isArray(map))
    throw new AuditFieldError(field, 'must be a map of names to string references', 'AUDIT_FIELD_INVALID');
  const entries = Object.entries(map);
  if (entries.length > AUDIT_LIMITS.mapEntries)
    throw new AuditFieldError(
      field,
      `must hold at most ${AUDIT_LIMITS.mapEntries} entries (${entries.length} given)`,
      'AUDIT_FIELD_INVALID',
    );
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length > AUDIT_LIMITS.mapKey || !MAP_KEY.test(key))
      throw new AuditFieldError(
        field,
        `entry names must be identifiers (letters, digits, _ . : -) of at most ${AUDIT_LIMITS.mapKey} characters`,
        'AUDIT_FIELD_INVALID',
      );
    const name = `${field}.${key}`;
    if (SECRET_KEY.test(key))
      throw new AuditFieldError(
        name,
        'names a secret or a card number: never audited, not even masked',
        'AUDIT_FIELD_UNSAFE',
      );
    if (typeof value !== 'string')
      throw new AuditFieldError(
        name,
        'must be a string reference (an id, a digest, a version): a payload is referenced, never embedded',
        'AUDIT_FIELD_UNSAFE',
      );
    const bounded = cut(value, AUDIT_LIMITS.value);
    let safe = redact(bounded);
    if (CODE_KEY.test(key)) safe = safe.replace(SIX_DIGITS, '******');
    // Belt and braces, for a value masking changed: masking leaves neither a card number nor a contact point; one
    // that still holds one is refused rather than published. (An unchanged value was just scanned and held none.)
    if (safe !== bounded && (findPans(safe).length > 0 || findContactPoints(safe).length > 0))
      throw new AuditFieldError(
        name,
        'holds a card number or contact point that could not be masked',
        'AUDIT_FIELD_UNSAFE',
      );
    out[key] = safe;
  }
  return out;
}

/** The headers an audit message carries besides its correlation (the writeback services add the idempotency key). */
export interface AuditHeaders {
  correlationId: string;
  causationId?: string;
  idempotencyKey?: string;
}

/** An audit.event.v1 message for a transactional outbox (`insertOutboxMessages` takes it as an OutboxMessage). */
export interface AuditMessage {
  topic: typeof Topics.auditEvent;
  key: AuditKey;
  value: AuditEvent;
  headers: AuditHeaders;
}

/**
 * The one way an audit event becomes a message: keyed by its correlation id (a case's trail stays in one partition,
 * in order), with the correlation and causation headers taken from the event (and the idempotency key when given).
 * A service writes it with its decision, in the decision's transaction, through its outbox.
 */
export function auditMessage(event: AuditEvent, extra: { idempotencyKey?: string } = {}): AuditMessage {
  return {
    topic: Topics.auditEvent,
    key: { correlationId: event.correlationId },
    value: event,
    headers: {
      correlationId: event.correlationId,
      ...(event.causationId ? { causationId: event.causationId } : {}),
      ...(extra.idempotencyKey ? { idempotencyKey: extra.idempotencyKey } : {}),
    },
  };
}

/** `buildAuditEvent` and `auditMessage` in one: what most call sites want. */
export function buildAuditMessage(
  service: string,
  input: AuditInput,
  options: { now?: () => number; idempotencyKey?: string } = {},
): AuditMessage {
  return auditMessage(buildAuditEvent(service, input, options.now), {
    idempotencyKey: options.idempotencyKey,
  });
}

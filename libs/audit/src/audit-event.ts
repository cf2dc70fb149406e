import { DomainError } from '@closeout/errors';

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Actor, AuditEvent, AuditOutcome } from '@closeout/contracts';
import { maskPans, redactText } from '@closeout/privacy';

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
  caseId?: string | null;
  /** contract, mapping and definition versions in force */
  versions?: Record<string, string>;
  /** idempotency key, provider reference, payload and consent references */
  references?: Record<string, string>;
}

export class AuditFieldError extends DomainError<'AUDIT_FIELD_MISSING'> {
  constructor(field: string) {
    super('AUDIT_FIELD_MISSING', 'is required and must not be empty in an audit event', { field });
  }
}

/**
 * Builds a complete audit.event.v1. Evidence with a blank who, what, why or correlation id is refused
 * here rather than discovered by an auditor later.
 */
export function buildAuditEvent(
  service: string,
  input: AuditInput,
  now: () => number = Date.now,
): AuditEvent {
  const required: [string, string][] = [
    ['actor.id', input.actor.id],
    ['action', input.action],
    ['reason', input.reason],
    ['correlationId', input.correlationId],
    ['service', service],
  ];
  for (const [field, value] of required) {
    if (!value || value.trim() === '') throw new AuditFieldError(field);
  }
  return maskAuditEvent({
    eventId: randomUUID(),
    occurredAt: now(),
    correlationId: input.correlationId,
    causationId: input.causationId ?? null,
    actor: input.actor,
    action: input.action,
    outcome: input.outcome,
    service,
    host: hostname(),
    reason: input.reason,
    caseId: input.caseId ?? null,
    versions: input.versions ?? {},
    references: input.references ?? {},
  });
}

/** Bounds: a reason is prose, a reference or version is an id; a map holds a handful of entries. */
export const AUDIT_LIMITS = { reason: 1000, id: 256, mapEntries: 32, mapKey: 64 } as const;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A structured id: card numbers masked (never a contact point rule, which would mangle hex keys), bounded. */
function maskId(text: string, max: number = AUDIT_LIMITS.id): string {
  return maskPans(cut(text, max));
}

/** Free text (reasons): card numbers and contact points masked, bounded. */
function maskFreeText(text: string): string {
  return redactText(cut(text, AUDIT_LIMITS.reason));
}

function maskMap(map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map).slice(0, AUDIT_LIMITS.mapEntries)) {
    out[maskId(key, AUDIT_LIMITS.mapKey)] = maskId(String(value));
  }
  return out;
}

/**
 * The event as it may be published: card numbers masked in every string field; contact points masked in the free-text
 * field (`reason`) and in references, whose values are ids and must never be a contact point; every field bounded.
 * Structured ids (event, correlation, causation, case) are ours (UUIDs) and are only masked for card numbers.
 */
export function maskAuditEvent(event: AuditEvent): AuditEvent {
  return {
    ...event,
    eventId: maskId(event.eventId),
    correlationId: maskId(event.correlationId),
    causationId: event.causationId == null ? null : maskId(event.causationId),
    actor: { type: event.actor.type, id: redactText(maskId(event.actor.id)) },
    action: maskId(event.action, 128),
    service: maskId(event.service, 128),
    host: maskId(event.host, 128),
    reason: maskFreeText(event.reason),
    caseId: event.caseId == null ? null : maskId(event.caseId),
    versions: maskMap(event.versions ?? {}),
    references: Object.fromEntries(
      Object.entries(maskMap(event.references ?? {})).map(([k, v]) => [k, redactText(v)]),
    ),
  };
}

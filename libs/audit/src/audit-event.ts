import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Actor, AuditEvent, AuditOutcome } from '@closeout/contracts';

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

export class AuditFieldError extends Error {
  readonly code = 'AUDIT_FIELD_MISSING';
  constructor(readonly field: string) {
    super(`audit event: ${field} is required and must not be empty`);
    this.name = 'AuditFieldError';
  }
}

/**
 * Builds a complete audit.event.v1. Evidence with a blank who, what, why or correlation id is refused
 * here rather than discovered by an auditor later.
 */
export function buildAuditEvent(service: string, input: AuditInput, now: () => number = Date.now): AuditEvent {
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
  return {
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
  };
}

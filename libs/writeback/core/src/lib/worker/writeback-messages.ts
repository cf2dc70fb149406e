import { randomUUID } from 'node:crypto';
import { buildAuditMessage, type AuditInput } from '@closeout/audit';
import {
  Topics,
  type AuditOutcome,
  type WritebackCommand,
  type WritebackErrorClass,
  type WritebackRequested,
  type WritebackStatus,
} from '@closeout/contracts';
import type { IncomingRecord, SignatureCheck } from '@closeout/kafka';
import type { OutboxMessage } from '@closeout/outbox';

/** What a `writeback.result` says beyond the request it answers. */
export interface ResultFacts {
  status: WritebackStatus;
  providerRef: string | null;
  errorClass?: WritebackErrorClass | null;
  errorMessage?: string | null;
  /** Sends made so far. */
  attempts: number;
  /** Republished for a duplicate request. */
  duplicate?: boolean;
  /** The destination's circuit breaker is open: the orchestrator should expect a delay. */
  destinationDegraded?: boolean;
  now: number;
}

/** The `writeback.result.v1` message answering `request`, keyed by its case. */
export function resultMessage(request: WritebackRequested, facts: ResultFacts): OutboxMessage {
  return {
    topic: Topics.writebackResult,
    key: { caseId: request.caseId },
    headers: {
      correlationId: request.correlationId,
      causationId: request.eventId,
      idempotencyKey: request.idempotencyKey,
    },
    value: {
      eventId: randomUUID(),
      occurredAt: facts.now,
      correlationId: request.correlationId,
      causationId: request.eventId,
      idempotencyKey: request.idempotencyKey,
      destination: request.destination,
      protocol: request.protocol,
      operation: request.operation,
      caseId: request.caseId,
      workflowId: request.workflowId,
      status: facts.status,
      providerRef: facts.providerRef,
      errorClass: facts.errorClass ?? null,
      errorMessage: facts.errorMessage ?? null,
      attempts: facts.attempts,
      // From the request to this answer: what the case waited, retries and unknown resolution included.
      latencyMs: Math.max(0, facts.now - request.requestedAt),
      contractVersion: request.contractVersion,
      mappingVersion: request.mappingVersion,
      duplicate: facts.duplicate ?? false,
      destinationDegraded: facts.destinationDegraded ?? false,
    },
  };
}

export interface AuditFacts {
  /** `writeback.applied`, `writeback.attempt_failed`, `writeback.unknown`, `writeback.resolved`… */
  action: string;
  outcome: AuditOutcome;
  /** Why: the rule or answer that decided it. */
  reason: string;
  references?: Record<string, string | null | undefined>;
  now: number;
}

/**
 * An `audit.event.v1` outbox message, built by @closeout/audit's one builder like every other service's: required
 * fields checked (a blank who, what, why or correlation id throws AuditFieldError), sizes bounded, card numbers and
 * contact points masked, keyed by correlation id so a case's trail stays ordered, with the idempotency key's header.
 */
function auditOutboxMessage(
  service: string,
  input: AuditInput,
  now: number,
  idempotencyKey?: string,
): OutboxMessage {
  return buildAuditMessage(service, input, { now: () => now, idempotencyKey });
}

/**
 * The `audit.event.v1` message recording a writeback decision. Written to the outbox in the transaction that made the
 * decision rather than published on the side with the AuditEmitter.
 */
export function auditMessage(service: string, request: WritebackRequested, facts: AuditFacts): OutboxMessage {
  const references: Record<string, string> = {
    idempotencyKey: request.idempotencyKey,
    destination: request.destination,
  };
  if (request.consentRef) references['consentRef'] = request.consentRef;
  for (const [name, value] of Object.entries(facts.references ?? {})) {
    if (value !== null && value !== undefined && value !== '') references[name] = value;
  }
  return auditOutboxMessage(
    service,
    {
      actor: { type: 'SERVICE', id: service },
      action: facts.action,
      outcome: facts.outcome,
      reason: facts.reason,
      correlationId: request.correlationId,
      causationId: request.eventId,
      caseId: request.caseId,
      versions: { contract: request.contractVersion, mapping: request.mappingVersion },
      references,
    },
    facts.now,
    request.idempotencyKey,
  );
}

/**
 * The audit event of a `writeback.command.v1` this service acted on (or refused). Built from the command, not a
 * request: a command may name a key this service never admitted.
 */
export function commandAuditMessage(
  service: string,
  command: WritebackCommand,
  facts: AuditFacts & { request?: WritebackRequested | null },
): OutboxMessage {
  const references: Record<string, string> = {
    idempotencyKey: command.idempotencyKey,
    destination: command.destination,
    commandId: command.commandId,
    command: command.command,
    issuedBy: command.issuedBy,
  };
  if (command.breakId) references['breakId'] = command.breakId;
  for (const [name, value] of Object.entries(facts.references ?? {})) {
    if (value !== null && value !== undefined && value !== '') references[name] = value;
  }
  const versions: Record<string, string> = facts.request
    ? { contract: facts.request.contractVersion, mapping: facts.request.mappingVersion }
    : {};
  return auditOutboxMessage(
    service,
    {
      actor: { type: 'SERVICE', id: service },
      action: facts.action,
      outcome: facts.outcome,
      reason: facts.reason,
      correlationId: command.correlationId,
      causationId: command.eventId,
      caseId: command.caseId,
      versions,
      references,
    },
    facts.now,
    command.idempotencyKey,
  );
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The audit event of a writeback.requested refused before decoding (unsigned, unknown key, bad signature). Nothing
 * of the record's content is trusted or quoted: where it lies (topic, partition, offset), why it was refused, and the
 * key id it claimed. Its correlation id header is kept only when it looks like one, to find the case's trail.
 */
export function unauthenticatedAuditMessage(
  service: string,
  record: Pick<IncomingRecord, 'topic' | 'partition' | 'offset' | 'headers'>,
  refusal: Extract<SignatureCheck, { ok: false }>,
  now: number,
): OutboxMessage {
  const raw = record.headers['correlation-id'];
  const claimed = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : undefined;
  const correlationId = claimed !== undefined && SAFE_ID.test(claimed) ? claimed : 'unauthenticated-record';
  const references: Record<string, string> = {
    topic: record.topic,
    partition: String(record.partition),
    offset: record.offset,
    refusal: refusal.refusal,
  };
  if (refusal.keyId) references['claimedKeyId'] = refusal.keyId;
  return auditOutboxMessage(
    service,
    {
      actor: { type: 'SERVICE', id: service },
      action: 'writeback.request_unauthenticated',
      outcome: 'DENIED',
      reason: `writeback.requested refused before decoding and dead-lettered, nothing admitted: ${refusal.reason}`,
      correlationId,
      causationId: null,
      caseId: null,
      references,
    },
    now,
  );
}

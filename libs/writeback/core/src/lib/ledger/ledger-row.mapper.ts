import type { Protocol, WritebackErrorClass, WritebackRequested, WritebackStatus } from '@closeout/contracts';
import type { AttemptKind, LedgerAttemptRow, LedgerConflictRow, LedgerRow } from './ledger.types';

/**
 * Raw rows as node-postgres returns them: snake_case, bigint as string, timestamptz as Date, jsonb parsed.
 * The CHECK constraints guarantee the text columns hold the union members the casts below claim.
 */
type Raw = Record<string, unknown>;

const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));

export function toLedgerRow(r: Raw): LedgerRow {
  return {
    id: str(r['id']),
    destination: str(r['destination']),
    idempotencyKey: str(r['idempotency_key']),
    fingerprint: str(r['fingerprint']),
    operation: str(r['operation']),
    protocol: r['protocol'] as Protocol,
    caseId: str(r['case_id']),
    workflowId: str(r['workflow_id']),
    correlationId: str(r['correlation_id']),
    causationId: strOrNull(r['causation_id']),
    request: r['request'] as WritebackRequested,
    status: r['status'] as WritebackStatus,
    claimedFrom: (r['claimed_from'] ?? null) as WritebackStatus | null,
    attempts: Number(r['attempts']),
    providerRef: strOrNull(r['provider_ref']),
    lastErrorClass: (r['last_error_class'] ?? null) as WritebackErrorClass | null,
    lastErrorMessage: strOrNull(r['last_error_message']),
    contractVersion: str(r['contract_version']),
    mappingVersion: str(r['mapping_version']),
    leaseOwner: strOrNull(r['lease_owner']),
    leaseExpiresAt: dateOrNull(r['lease_expires_at']),
    nextAttemptAt: dateOrNull(r['next_attempt_at']),
    unknownSince: dateOrNull(r['unknown_since']),
    createdAt: date(r['created_at']),
    updatedAt: date(r['updated_at']),
    appliedAt: dateOrNull(r['applied_at']),
    traceparent: strOrNull(r['traceparent']),
    tracestate: strOrNull(r['tracestate']),
  };
}

export function toAttemptRow(r: Raw): LedgerAttemptRow {
  return {
    id: str(r['id']),
    ledgerId: str(r['ledger_id']),
    attemptNo: Number(r['attempt_no']),
    kind: r['kind'] as AttemptKind,
    worker: strOrNull(r['worker']),
    outcome: r['outcome'] as WritebackStatus,
    startedAt: date(r['started_at']),
    finishedAt: date(r['finished_at']),
    errorClass: (r['error_class'] ?? null) as WritebackErrorClass | null,
    errorMessage: strOrNull(r['error_message']),
    providerCode: strOrNull(r['provider_code']),
    providerRef: strOrNull(r['provider_ref']),
    latencyMs: Number(r['latency_ms']),
    recordedAt: date(r['recorded_at']),
  };
}

export function toConflictRow(r: Raw): LedgerConflictRow {
  return {
    id: str(r['id']),
    ledgerId: str(r['ledger_id']),
    destination: str(r['destination']),
    idempotencyKey: str(r['idempotency_key']),
    fingerprint: str(r['fingerprint']),
    existingFingerprint: str(r['existing_fingerprint']),
    eventId: str(r['event_id']),
    correlationId: str(r['correlation_id']),
    causationId: strOrNull(r['causation_id']),
    request: r['request'] as WritebackRequested,
    receivedAt: date(r['received_at']),
  };
}

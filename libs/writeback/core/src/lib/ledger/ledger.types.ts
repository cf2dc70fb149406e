import type { Protocol, WritebackErrorClass, WritebackRequested, WritebackStatus } from '@closeout/contracts';
import type { OutboxMessage } from '@closeout/outbox';

/** One ledger row: one business action for one destination. Ids are bigint, kept as decimal strings. */
export interface LedgerRow {
  id: string;
  destination: string;
  idempotencyKey: string;
  /** Fingerprint of the request's business content (see `requestFingerprint` in the writeback domain). */
  fingerprint: string;
  operation: string;
  protocol: Protocol;
  caseId: string;
  workflowId: string;
  correlationId: string;
  causationId: string | null;
  /** The canonical request exactly as admitted. */
  request: WritebackRequested;
  status: WritebackStatus;
  /** The status the row had when the current (or last) lease was taken. */
  claimedFrom: WritebackStatus | null;
  /** Sends made to the destination (resolve lookups are not counted). */
  attempts: number;
  providerRef: string | null;
  lastErrorClass: WritebackErrorClass | null;
  lastErrorMessage: string | null;
  contractVersion: string;
  mappingVersion: string;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** When a worker may take the row next; for a leased row, the lease expiry. Null once settled. */
  nextAttemptAt: Date | null;
  /** Since when the outcome has been unknown (UNKNOWN, or a lease that expired in flight). */
  unknownSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
  appliedAt: Date | null;
  /** The W3C trace context of the `writeback.requested` that admitted the row (null when it carried none). */
  traceparent: string | null;
  tracestate: string | null;
}

export type AttemptKind = 'send' | 'resolve';

export interface LedgerAttemptRow {
  id: string;
  ledgerId: string;
  attemptNo: number;
  kind: AttemptKind;
  worker: string | null;
  /** The status the attempt led to. */
  outcome: WritebackStatus;
  startedAt: Date;
  finishedAt: Date;
  errorClass: WritebackErrorClass | null;
  errorMessage: string | null;
  /** HTTP status, SOAP fault code or batch receipt code, as the destination said it. */
  providerCode: string | null;
  providerRef: string | null;
  latencyMs: number;
  recordedAt: Date;
}

export interface LedgerConflictRow {
  id: string;
  ledgerId: string;
  destination: string;
  idempotencyKey: string;
  /** Fingerprint of the rejected request. */
  fingerprint: string;
  /** Fingerprint of the row already holding the key. */
  existingFingerprint: string;
  eventId: string;
  correlationId: string;
  causationId: string | null;
  request: WritebackRequested;
  receivedAt: Date;
}

export type AdmitOutcome =
  /** A new row, PENDING and due now. */
  | { kind: 'admitted'; row: LedgerRow }
  /** The key was already there with the same fingerprint: nothing was written. */
  | { kind: 'duplicate'; row: LedgerRow }
  /**
   * The key was already there with a different fingerprint: the request is recorded in `ledger_conflict` and the
   * existing row is untouched. `redelivered` is true when this very event had been recorded before.
   */
  | { kind: 'conflict'; row: LedgerRow; conflict: LedgerConflictRow; redelivered: boolean };

export interface AdmitOptions {
  /**
   * Messages to put in the outbox in the same transaction as the admission, given its outcome: typically the
   * REJECTED_CONFLICT result and its audit event for a conflict, or the stored result again for a duplicate of a
   * settled row.
   */
  outbox?: (outcome: AdmitOutcome) => readonly OutboxMessage[];
}

/**
 * What a claim asks the worker to do. `SEND`: call the destination. `RESOLVE`: the outcome of an earlier send is
 * unknown (it ended UNKNOWN, or its lease expired in flight), so ask the destination what it holds first and never
 * send blind.
 */
export type ClaimAction = 'SEND' | 'RESOLVE';

export interface ClaimedRow extends LedgerRow {
  claim: {
    action: ClaimAction;
    owner: string;
    expiresAt: Date;
    /** The status before this claim: `IN_FLIGHT` means an earlier lease expired mid-send. */
    previousStatus: WritebackStatus;
  };
}

export interface AttemptRecord {
  kind: AttemptKind;
  startedAt: Date;
  finishedAt: Date;
  errorClass?: WritebackErrorClass | null;
  errorMessage?: string | null;
  providerCode?: string | null;
  providerRef?: string | null;
  /** Defaults to finishedAt − startedAt. */
  latencyMs?: number;
}

export interface TransitionCommand {
  /** The statuses the row must be in (`expectedFromStates(to)` from the writeback domain). */
  from: readonly WritebackStatus[];
  to: WritebackStatus;
  /** The lease holder; null to act on a row no one holds (an operator command on a settled row). */
  owner: string | null;
  attempt?: AttemptRecord;
  /** Kept when omitted or null: a provider reference, once known, is never forgotten. */
  providerRef?: string | null;
  errorClass?: WritebackErrorClass | null;
  errorMessage?: string | null;
  /** When a waiting status (PENDING, FAILED_RETRYABLE, UNKNOWN) becomes due; defaults to now. */
  nextAttemptAt?: Date | null;
  /** Written in the same transaction; a function receives the row as updated (attempts, provider ref…). */
  outbox?: readonly OutboxMessage[] | ((row: LedgerRow) => readonly OutboxMessage[]);
}

/** Which other row of `destination`, if any, already holds `providerRef` (any row but `exceptId`). */
export interface ProviderRefAsk {
  destination: string;
  providerRef: string;
  exceptId: string;
}

export interface ProviderRefHolder {
  id: string;
  idempotencyKey: string;
}

export interface TransitionResult {
  row: LedgerRow;
  attempt: LedgerAttemptRow | null;
}

/** What a writeback service did with one `writeback.command.v1`. */
export type CommandOutcomeKind =
  /** The row became due for resolution by lookup (RESOLVE, REPLAY). */
  | 'marked_for_resolution'
  /** The row is leased or already due: the worker resolves it anyway; nothing to change. */
  | 'already_due'
  /** The row is settled: its stored result was published again so the result stream shows where it stands. */
  | 'result_republished'
  /** FLAG: recorded and audited for a human; the row is not touched. */
  | 'flagged'
  /** No ledger row for (destination, idempotency key) in this service. */
  | 'not_found';

export interface RecordedCommand {
  commandId: string;
  command: 'RESOLVE' | 'REPLAY' | 'FLAG';
  destination: string;
  idempotencyKey: string;
  caseId: string;
  breakId: string | null;
  ledgerId: string | null;
  outcome: CommandOutcomeKind;
  detail: string;
  issuedBy: string;
}

import type { CaseStatus, IdentityMethod } from '@closeout/contracts';
import type { CaseFacts } from '@closeout/workflow-domain';

/** The facts a case was opened with (the rules engine's input), plus where they came from. */
export type StoredCaseFacts = CaseFacts & {
  trigger: CaseFacts['trigger'] & { mappingVersion: string; payloadRef: string };
};

/** An action the customer was offered when the case opened, and why (the rule that decided it). */
export interface OfferedAction {
  actionId: string;
  action: string;
  eligible: boolean;
  ruleId: string;
  reason: string;
}

/** What the customer chose, kept for the exception context and for rebuilding writebacks on an agent's retry. */
export interface ChosenAction {
  eventId: string;
  actionId: string;
  action: string;
  parameters: Record<string, string>;
  consentRef: string | null;
  identityMethod: IdentityMethod;
  sessionRef: string;
  receivedAt: number;
}

/** What became of one outreach attempt, from the orchestrator's request and messaging's receipts. */
export interface AttemptProgress {
  channel: string;
  requestedAt: number;
  /**
   * REQUESTED: asked for, no receipt yet (messaging may be holding it back, e.g. for quiet hours). SENT / DELIVERED:
   * the customer was reached. HELD: suppressed by a frequency cap, counted as sent and unanswered. FAILED: no
   * channel carried it. SUPPRESSED: messaging refused it (no consent, no contact point, opted out, …).
   */
  status: 'REQUESTED' | 'SENT' | 'DELIVERED' | 'HELD' | 'FAILED' | 'SUPPRESSED';
  /** When the attempt counts as made (the first SENT/DELIVERED receipt, or the frequency cap's suppression). */
  reachedAt?: number;
  /** When it failed or was suppressed, and messaging's reason. */
  endedAt?: number;
  reason?: string;
}

/**
 * The cadence round in hand (a hand-back starts a new one) and every attempt's progress, keyed by attempt number.
 * Cases opened before receipts were recorded have `{}`.
 */
export interface OutreachProgress {
  round?: { first: number; last: number; startedAt: number };
  attempts?: Record<string, AttemptProgress>;
}

/** One row of `cases`, as the engine reads it under its row lock. */
export interface CaseRecord {
  caseId: string;
  workflowId: string;
  definitionVersion: string;
  state: CaseStatus;
  correlationId: string;
  customerId: string;
  sourceEventId: string;
  facts: StoredCaseFacts;
  offeredActions: OfferedAction[];
  chosenAction: ChosenAction | null;
  retryRound: number;
  outreachAttempts: number;
  outreachProgress: OutreachProgress;
  openedAt: Date;
}

export interface CaseRow {
  case_id: string;
  workflow_id: string;
  definition_version: string;
  state: CaseStatus;
  correlation_id: string;
  customer_id: string;
  source_event_id: string;
  facts: StoredCaseFacts;
  offered_actions: OfferedAction[];
  chosen_action: ChosenAction | null;
  retry_round: number;
  outreach_attempts: number;
  outreach_progress: OutreachProgress;
  opened_at: Date;
}

export function toCaseRecord(r: CaseRow): CaseRecord {
  return {
    caseId: r.case_id,
    workflowId: r.workflow_id,
    definitionVersion: r.definition_version,
    state: r.state,
    correlationId: r.correlation_id,
    customerId: r.customer_id,
    sourceEventId: r.source_event_id,
    facts: r.facts,
    offeredActions: r.offered_actions,
    chosenAction: r.chosen_action,
    retryRound: r.retry_round,
    outreachAttempts: r.outreach_attempts,
    outreachProgress: r.outreach_progress,
    openedAt: r.opened_at,
  };
}

export interface CaseWritebackRow {
  destination: string;
  idempotency_key: string;
  case_id: string;
  writeback_id: string;
  protocol: 'REST' | 'SOAP' | 'SFTP';
  operation: string;
  mapping_version: string;
  contract_version: string;
  required: boolean;
  retry_round: number;
  payload: Record<string, unknown>;
  status: string;
  error_class: string | null;
  error_message: string | null;
  provider_ref: string | null;
  attempts: number;
  requested_at: Date;
  applied_at: Date | null;
  superseded: boolean;
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { MiniappAction } from '@closeout/contracts';
import { awaitsCustomer } from '../domain/case-status';
import type { ChosenAction } from '../cases/case-record';
import { UnknownActionCaseError } from '../cases/case-errors';
import { CaseSession } from '../cases/case-session';
import { WorkflowCatalog } from '../workflows/workflow-catalog';
import { actionFactsOf, buildWritebacksOf, requestWritebacks } from '../writebacks/request-writebacks';

export type ActionOutcome = 'accepted' | 'declined' | 'locked' | 'refused' | 'duplicate';

/** The mini-app's verification lock: the customer used up their tries at the identity check. */
export const IDENTITY_LOCKED = 'identity.locked';
/** Why the mini-app locked: too many wrong one-time codes, or too many wrong known-fact answers. */
const LOCK_REASONS = ['otp-attempts', 'known-fact-attempts'] as const;
type LockReason = (typeof LOCK_REASONS)[number] | 'unstated';

const lockReasonOf = (parameters: Record<string, string>): LockReason => {
  const stated = parameters['reason'];
  // Only a reason of the contract's is recorded: the parameter is input, and it goes into the audit trail.
  return (LOCK_REASONS as readonly string[]).includes(stated ?? '') ? (stated as LockReason) : 'unstated';
};

/**
 * Applies a verified customer's action: a decline goes to the exception queue, and so does the mini-app's
 * verification lock (`identity.locked`: the customer used up their identity-check tries) as VERIFICATION_FAILED, for
 * an agent to verify them by phone; any other action must be one the
 * workflow defines, eligible for this customer, with valid parameters and strong enough identity, or it is refused
 * and audited with the rule that refused it. An accepted action becomes its writebacks, each with an idempotency key
 * stable for the business action, and the case waits for them.
 */
@Injectable()
export class TakeActionUseCase {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(action: MiniappAction, now = Date.now()): Promise<ActionOutcome> {
    return this.db.transaction((tx) => this.executeIn(tx, action, now));
  }

  /** The same in the caller's transaction: a partition batch shares one (see case-batch.ts). */
  async executeIn(tx: EntityManager, action: MiniappAction, now = Date.now()): Promise<ActionOutcome> {
    const locked = await CaseSession.lockOnFirstDelivery(tx, 'miniapp-action', action.eventId, action.caseId);
    if (!locked) throw new UnknownActionCaseError(action.caseId);
    if (!locked.first) return 'duplicate';
    const { record } = locked;
    const definition = this.catalog.get(record.workflowId, record.definitionVersion);
    const session = new CaseSession(tx, record, definition, {
      id: action.eventId,
      actor: { type: 'CUSTOMER', id: record.customerId },
    });
    const outcome = await this.decide(session, action, now);
    await tx.query(
      `INSERT INTO case_action (case_id, idempotency_key, event_id, action, outcome) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [record.caseId, action.idempotencyKey, action.eventId, action.action, outcome],
    );
    await session.save();
    return outcome;
  }

  private async decide(session: CaseSession, action: MiniappAction, now: number): Promise<ActionOutcome> {
    const { record, definition } = session;
    const references = {
      actionIdempotencyKey: action.idempotencyKey,
      sessionRef: action.sessionRef,
      identityMethod: action.identityMethod,
      ...(action.consentRef ? { consentRef: action.consentRef } : {}),
    };
    const seen: unknown[] = await session.tx.query(
      `SELECT 1 FROM case_action WHERE case_id = $1 AND idempotency_key = $2`,
      [record.caseId, action.idempotencyKey],
    );
    if (seen.length > 0) {
      session.note(
        'action.duplicate',
        { action: action.action },
        {
          outcome: 'SUCCESS',
          reason: 'the same business action was already received: nothing changes',
          references,
        },
      );
      return 'duplicate';
    }
    if (!awaitsCustomer(record.state)) {
      session.note(
        'action.refused',
        { action: action.action, state: record.state },
        {
          outcome: 'DENIED',
          reason: `the case is ${record.state}: it no longer takes customer actions`,
          references,
        },
      );
      return 'refused';
    }
    if (action.action === 'decline') {
      const reason = 'the customer declined every offered action';
      session.transition('EXCEPTION', reason);
      session.cancelTimers('REMINDER', 'EXPIRY');
      session.openException({
        kind: 'DECLINED',
        summary: reason,
        context: {
          whatHappened: reason,
          whatWasTried: {
            outreachAttempts: record.outreachAttempts,
            offered: record.offeredActions.filter((o) => o.eligible).map((o) => o.actionId),
          },
          customerDid: {
            action: 'decline',
            identityMethod: action.identityMethod,
            reason: action.parameters['reason'] ?? null,
          },
          audit: { correlationId: record.correlationId, actionEventId: action.eventId },
        },
      });
      session.note(
        'action.declined',
        { reason: action.parameters['reason'] ?? null },
        { outcome: 'SUCCESS', reason, references },
      );
      return 'declined';
    }

    if (action.action === IDENTITY_LOCKED) {
      this.lock(session, action, references);
      return 'locked';
    }

    const chosen: ChosenAction = {
      eventId: action.eventId,
      actionId: '',
      action: action.action,
      parameters: action.parameters,
      consentRef: action.consentRef,
      identityMethod: action.identityMethod,
      sessionRef: action.sessionRef,
      receivedAt: now,
    };
    const check = await this.catalog.policy(definition).checkAction(record.facts, actionFactsOf(chosen));
    if (!check.allowed || !check.actionId) {
      session.note(
        'action.refused',
        { action: action.action, reasons: check.reasons },
        {
          outcome: 'DENIED',
          ruleId: check.ruleId,
          reason: check.reasons.join('; ') || 'not allowed',
          references,
        },
      );
      return 'refused';
    }
    const spec = definition.actions.find((a) => a.id === check.actionId)!;
    chosen.actionId = spec.id;
    let built;
    try {
      built = buildWritebacksOf(session, spec, chosen, record.retryRound);
    } catch (err) {
      session.note(
        'action.refused',
        { action: action.action, reasons: [(err as Error).message] },
        {
          outcome: 'DENIED',
          ruleId: `${definition.id}@v${definition.version}/actions/${spec.id}/writebacks`,
          reason: (err as Error).message,
          references,
        },
      );
      return 'refused';
    }
    record.chosenAction = chosen;
    session.transition(
      'AWAITING_WRITEBACK',
      `the customer chose ${spec.id}; ${built.length} writeback(s) requested`,
      check.ruleId,
    );
    session.stateWritebacks(
      built.filter((w) => w.required).map((w) => w.idempotencyKey),
      [],
    );
    session.cancelTimers('REMINDER', 'EXPIRY');
    session.note(
      'action.accepted',
      { actionId: spec.id, action: action.action, writebacks: built.map((w) => w.writebackId) },
      {
        outcome: 'SUCCESS',
        ruleId: check.ruleId,
        reason: `eligible and verified by ${action.identityMethod}`,
        references,
      },
    );
    await requestWritebacks(session, built, chosen, record.retryRound, now);
    session.schedule({
      timerId: `tmr_${record.caseId}_slo_${record.retryRound}`,
      kind: 'WRITEBACK_SLO',
      dueAt: now + definition.slo.writebackLatencyCeiling.ms,
      payload: { round: record.retryRound },
    });
    return 'accepted';
  }

  /**
   * Self-service stops: the case goes to the exception queue as VERIFICATION_FAILED with why the mini-app locked and
   * which identity check the workflow asks for, and its reminders and expiry are cancelled (no new link would help).
   */
  private lock(session: CaseSession, action: MiniappAction, references: Record<string, string>): void {
    const { record, definition } = session;
    const reason = lockReasonOf(action.parameters);
    const summary =
      reason === 'otp-attempts'
        ? 'the customer used up their one-time code tries in the mini-app'
        : reason === 'known-fact-attempts'
          ? 'the customer used up their known-fact tries in the mini-app'
          : 'the mini-app locked the identity check';
    session.transition('EXCEPTION', summary);
    session.cancelTimers('REMINDER', 'EXPIRY');
    session.openException({
      kind: 'VERIFICATION_FAILED',
      summary,
      context: {
        whatHappened: summary,
        whatWasTried: {
          outreachAttempts: record.outreachAttempts,
          identityRequired: definition.identity.method,
        },
        customerDid: { action: IDENTITY_LOCKED, reason, identityMethod: action.identityMethod },
        audit: { correlationId: record.correlationId, actionEventId: action.eventId },
      },
    });
    session.note(
      'identity.locked',
      { reason, identityRequired: definition.identity.method },
      {
        outcome: 'DENIED',
        ruleId: `${definition.id}@v${definition.version}/identity`,
        reason: summary,
        references,
      },
    );
  }
}

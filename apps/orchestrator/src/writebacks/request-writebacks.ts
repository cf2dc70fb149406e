import { Topics } from '@closeout/contracts';
import {
  buildActionWritebacks,
  type ActionFacts,
  type ActionSpec,
  type BuiltWriteback,
} from '@closeout/workflow-domain';
import type { ChosenAction } from '../cases/case-record';
import type { CaseSession } from '../cases/case-session';

export function actionFactsOf(chosen: ChosenAction): ActionFacts {
  return {
    action: chosen.action,
    parameters: chosen.parameters,
    consentRef: chosen.consentRef,
    identityMethod: chosen.identityMethod,
  };
}

/**
 * Builds every writeback of an action from the case facts and what the customer chose. Throws (naming the field and
 * the rule) before anything is recorded when a payload would break the canonical contract.
 */
export function buildWritebacksOf(
  session: CaseSession,
  spec: ActionSpec,
  chosen: ChosenAction,
  round: number,
): BuiltWriteback[] {
  return buildActionWritebacks(
    session.definition,
    spec.id,
    session.record.facts,
    actionFactsOf(chosen),
    round,
  );
}

/** Records the writebacks against the case and asks the owning writeback services for them through the outbox. */
export async function requestWritebacks(
  session: CaseSession,
  built: BuiltWriteback[],
  chosen: ChosenAction,
  round: number,
  now: number,
): Promise<void> {
  const { record } = session;
  await session.tx.query(
    `INSERT INTO case_writeback (destination, idempotency_key, case_id, writeback_id, protocol, operation, mapping_version,
       contract_version, required, retry_round, payload)
     SELECT w->>'destination', w->>'idempotencyKey', $1, w->>'writebackId', w->>'protocol', w->>'operation', w->>'mappingVersion',
       w->>'contractVersion', (w->>'required')::boolean, $2, w->'payload'
     FROM jsonb_array_elements($3::jsonb) AS w
     ON CONFLICT (destination, idempotency_key) DO NOTHING`,
    [record.caseId, round, JSON.stringify(built)],
  );
  for (const w of built)
    publishWritebackRequest(session, w, chosen.consentRef, now, `wrq_${w.idempotencyKey}_${round}`);
}

/** One writeback.requested.v1; the ledger de-duplicates on (destination, idempotency key), so re-asking is safe. */
export function publishWritebackRequest(
  session: CaseSession,
  w: Pick<
    BuiltWriteback,
    | 'destination'
    | 'protocol'
    | 'operation'
    | 'mappingVersion'
    | 'contractVersion'
    | 'payloadJson'
    | 'idempotencyKey'
    | 'writebackId'
  >,
  consentRef: string | null,
  now: number,
  eventId: string,
): void {
  const { record } = session;
  session.publish({
    topic: Topics.writebackRequested,
    key: { caseId: record.caseId },
    value: {
      eventId,
      occurredAt: now,
      correlationId: record.correlationId,
      causationId: session.cause.id,
      idempotencyKey: w.idempotencyKey,
      destination: w.destination,
      protocol: w.protocol,
      operation: w.operation,
      caseId: record.caseId,
      workflowId: record.workflowId,
      contractVersion: w.contractVersion,
      mappingVersion: w.mappingVersion,
      payloadJson: w.payloadJson,
      consentRef,
      requestedAt: now,
    },
    headers: {
      correlationId: record.correlationId,
      causationId: session.cause.id,
      idempotencyKey: w.idempotencyKey,
    },
  });
  session.note(
    'writeback.requested',
    {
      writebackId: w.writebackId,
      destination: w.destination,
      operation: w.operation,
      idempotencyKey: w.idempotencyKey,
    },
    {
      outcome: 'PENDING',
      ruleId: `${session.definition.id}@v${session.definition.version}/writebacks/${w.writebackId}`,
      reason: `${w.operation} to ${w.destination} over ${w.protocol}, mapping v${w.mappingVersion}`,
      references: { idempotencyKey: w.idempotencyKey, ...(consentRef ? { consentRef } : {}) },
      versions: { contractVersion: w.contractVersion, mappingVersion: w.mappingVersion },
    },
  );
}

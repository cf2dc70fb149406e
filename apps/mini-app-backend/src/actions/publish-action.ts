/**
 * Publishing a customer's action exactly once: the `action_submission` row (its idempotency key is the primary key),
 * the consent shown, `miniapp.action.v1` and its audit event are one transaction. The key is stable for the business
 * action — `act-<caseId>-<actionId>`, as the stand-in customers used — so a double tap, a resubmitted form or a
 * retried request finds the row and publishes nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Topics, type MiniappAction } from '@closeout/contracts';
import { insertOutboxMessages } from '@closeout/outbox';
import { buildAuditMessage } from '@closeout/audit';
import type { IdentityMethod } from '../identity/identity-method';
import type { SessionRow } from '../sessions/session-store';

export interface ShownConsent {
  textVersion: string;
  /** SHA-256 of the exact text shown, when the mini-app holds the text. */
  textSha256: string | null;
}

export interface ActionToPublish {
  session: SessionRow;
  actionId: string;
  action: string;
  parameters: Record<string, string>;
  identityMethod: IdentityMethod;
  consent: ShownConsent | null;
  /** What the audit event says about why (no personal data). */
  reason: string;
}

export const idempotencyKeyOf = (caseId: string, actionId: string): string => `act-${caseId}-${actionId}`;

export type PublishOutcome = { published: true; eventId: string } | { published: false };

export async function publishAction(
  tx: EntityManager,
  serviceName: string,
  a: ActionToPublish,
): Promise<PublishOutcome> {
  const key = idempotencyKeyOf(a.session.caseId, a.actionId);
  const eventId = randomUUID();
  const inserted: unknown[] = await tx.query(
    `INSERT INTO action_submission (idempotency_key, case_id, action_id, action, session_ref, event_id, identity_method)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
    [key, a.session.caseId, a.actionId, a.action, a.session.ref, eventId, a.identityMethod],
  );
  if (inserted.length === 0) return { published: false };
  let consentRef: string | null = null;
  if (a.consent) {
    consentRef = `cns_${randomUUID()}`;
    await tx.query(
      `INSERT INTO consent (ref, session_ref, case_id, text_version, text_sha256, shown_at) VALUES ($1, $2, $3, $4, $5, now())`,
      [consentRef, a.session.ref, a.session.caseId, a.consent.textVersion, a.consent.textSha256],
    );
    await tx.query(`UPDATE action_submission SET consent_ref = $2 WHERE idempotency_key = $1`, [
      key,
      consentRef,
    ]);
  }
  const value: MiniappAction = {
    eventId,
    occurredAt: Date.now(),
    correlationId: a.session.correlationId,
    causationId: null,
    idempotencyKey: key,
    caseId: a.session.caseId,
    workflowId: a.session.workflowId,
    actionId: a.actionId,
    action: a.action,
    identityMethod: a.identityMethod,
    consentRef,
    sessionRef: a.session.ref,
    parameters: a.parameters,
  };
  await insertOutboxMessages(tx, 'outbox', [
    {
      topic: Topics.miniappAction,
      key: { caseId: value.caseId },
      value,
      headers: { correlationId: value.correlationId, idempotencyKey: key },
    },
    buildAuditMessage(serviceName, {
      actor: { type: 'CUSTOMER', id: a.session.ref },
      action: `miniapp.${a.action}`,
      outcome: a.action === 'identity.locked' ? 'FAILURE' : 'SUCCESS',
      reason: a.reason,
      correlationId: value.correlationId,
      causationId: eventId,
      caseId: value.caseId,
      references: {
        idempotencyKey: key,
        actionId: a.actionId,
        sessionRef: a.session.ref,
        identityMethod: a.identityMethod,
        ...(consentRef ? { consentRef } : {}),
        ...(a.consent ? { consentTextVersion: a.consent.textVersion } : {}),
      },
    }),
  ]);
  return { published: true, eventId };
}

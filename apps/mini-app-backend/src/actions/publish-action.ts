/**
 * Publishing a customer's action exactly once: the `action_submission` row (its idempotency key is the primary key),
 * the consent shown, `miniapp.action.v1` and its audit event are one statement (one transaction). The key is stable for the business
 * action — `act-<caseId>-<actionId>`, as the stand-in customers used — so a double tap, a resubmitted form or a
 * retried request finds the row and publishes nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Topics, type MiniappAction } from '@closeout/contracts';
import { buildAuditMessage } from '@closeout/audit';
import type { IdentityMethod } from '../identity/identity-method';
import type { SessionRow } from '../sessions/session-store';
import { outboxRowsParam } from '@closeout/outbox';
import { outboxCte } from '../persistence/outbox-cte';

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

/**
 * One statement: the submission (`ON CONFLICT DO NOTHING`), its consent row and the outbox messages, the last two only
 * when the submission is new. Runs alone (its own implicit transaction) or inside a caller's transaction. The
 * submission's `consent_ref` names a consent row inserted by the same statement: the foreign key is checked at the
 * statement's end.
 */
export async function publishAction(
  tx: EntityManager,
  serviceName: string,
  a: ActionToPublish,
): Promise<PublishOutcome> {
  const key = idempotencyKeyOf(a.session.caseId, a.actionId);
  const eventId = randomUUID();
  const consentRef = a.consent ? `cns_${randomUUID()}` : null;
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
  const messages = [
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
  ];
  const inserted: unknown[] = await tx.query(
    `WITH submitted AS (
       INSERT INTO action_submission (idempotency_key, case_id, action_id, action, session_ref, event_id,
                                      identity_method, consent_ref)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key),
     shown AS (
       INSERT INTO consent (ref, session_ref, case_id, text_version, text_sha256, shown_at)
       SELECT $8, $5, $2, $9, $10, now() FROM submitted WHERE $8::text IS NOT NULL
       RETURNING ref),
     ${outboxCte('published', 11, 'submitted')}
     SELECT idempotency_key FROM submitted`,
    [
      key,
      a.session.caseId,
      a.actionId,
      a.action,
      a.session.ref,
      eventId,
      a.identityMethod,
      consentRef,
      a.consent?.textVersion ?? null,
      a.consent?.textSha256 ?? null,
      outboxRowsParam(messages),
    ],
  );
  if (inserted.length === 0) return { published: false };
  return { published: true, eventId };
}

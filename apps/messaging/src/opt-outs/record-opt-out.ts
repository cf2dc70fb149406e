/**
 * An opt-out the customer stated to messaging — a STOP-style reply, or the one-click unsubscribe link of an email —
 * recorded the one way: a revocation of the purpose (or of every purpose, `*`) in `consent_revocation`, which
 * `decideSend` reads on every channel; and, when it is new, `consent.revoked` and, for each of the customer's
 * outreaches for the purpose whose link is still open, `outreach.event` OPTED_OUT (reason `SUPPRESSED_OPTED_OUT`)
 * with an `outreach.opted-out` audit event. A repeat (the same reply or link again) or an opt-out already held
 * changes nothing and publishes nothing. No contact point reaches an event or an audit record.
 */
import type { EntityManager } from 'typeorm';
import type { OutboxMessage } from '@closeout/outbox';
import type { Channel } from '@closeout/messaging-channels';
import type { ConsentSource } from '@closeout/messaging-domain';
import { recordRevocation } from '../contacts/contact-directory';
import { openSendsOf } from '../sends/send-ledger';
import { auditMessage, outreachEventMessage, sendAuditMessage } from '../sends/send-messages';

/** Where an opt-out was stated: the policy's consent sources, and the mini-app's opt-out (through the internal API). */
export type OptOutSource = ConsentSource | 'mini-app';

export interface OptOut {
  customerId: string;
  /** The purpose revoked, or `*` (every purpose). */
  purpose: string;
  /** Where the customer said it; the revocation covers every channel. */
  channel: Channel;
  source: OptOutSource;
  /** What makes the record once per statement: a reply's provider reference, or the link's reference. */
  once: string;
  /** When the customer said it (ms since epoch). */
  at: number;
  /** How it was said, for the audit reasons (`opted out by STOP on SMS`); never the customer's words. */
  reason: string;
  /** The consent.revoked audit event's correlation id and references. */
  correlationId: string;
  references: Record<string, string>;
  /** The provider reference the OPTED_OUT events and their audit events carry (a reply's), if any. */
  providerRef?: string;
}

/**
 * Records an opt-out in the caller's transaction; the outbox messages to write with it (none when nothing is new).
 * Serialised per customer, so two opt-outs racing each other publish once.
 */
export async function recordOptOut(
  tx: EntityManager,
  serviceName: string,
  optOut: OptOut,
  now: number,
): Promise<OutboxMessage[]> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `consent_revocation:${optOut.customerId}`,
  ]);
  const held: unknown[] = await tx.query(
    `SELECT 1 FROM consent_revocation WHERE customer_id = $1 AND (purpose = $2 OR purpose = '*') LIMIT 1`,
    [optOut.customerId, optOut.purpose],
  );
  const fresh = await recordRevocation(tx, {
    customerId: optOut.customerId,
    purpose: optOut.purpose,
    channel: optOut.channel,
    source: optOut.source,
    providerRef: optOut.once,
    revokedAt: optOut.at,
  });
  if (!fresh || held.length > 0) return [];
  const messages: OutboxMessage[] = [
    auditMessage(serviceName, {
      action: 'consent.revoked',
      outcome: 'SUCCESS',
      reason: `${optOut.reason}: purpose ${optOut.purpose} on every channel`,
      correlationId: optOut.correlationId,
      references: optOut.references,
    }),
  ];
  const providerRef = optOut.providerRef !== undefined ? { providerRef: optOut.providerRef } : {};
  for (const row of await openSendsOf(tx, optOut.customerId, optOut.purpose, now)) {
    messages.push(
      outreachEventMessage(
        row,
        'OPTED_OUT',
        optOut.channel,
        { ...providerRef, reason: 'SUPPRESSED_OPTED_OUT' },
        now,
      ),
      sendAuditMessage(serviceName, row, {
        action: 'outreach.opted-out',
        outcome: 'SUCCESS',
        reason: optOut.reason,
        channel: optOut.channel,
        ...providerRef,
      }),
    );
  }
  return messages;
}

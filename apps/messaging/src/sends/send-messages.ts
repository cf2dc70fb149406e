/**
 * The outbox messages a move of the send ledger writes: its outreach.event and its audit event. Neither carries a
 * contact point or message content.
 */
import { randomUUID } from 'node:crypto';
import { Topics, type OutreachEvent, type OutreachStatus } from '@closeout/contracts';
import { buildAuditMessage, type AuditInput } from '@closeout/audit';
import type { OutboxMessage } from '@closeout/outbox';
import type { Channel } from '@closeout/messaging-channels';
import type { PublishedLink } from '../links/link-store';
import type { SendRow } from './send-ledger';

/**
 * An outreach.event for the row. `fallbackChannel` (on a FAILED only): the channel the row falls back to for the same
 * outreach — the FAILED is for `channel` alone and the message goes out on the fallback next; without it the FAILED
 * is final. `link` (on the event that first says the message went out: SENT, or a DELIVERED no SENT preceded): the
 * mini-app link the message carries, for the mini-app to honour.
 */
export function outreachEventMessage(
  row: SendRow,
  status: OutreachStatus,
  channel: Channel,
  detail: { providerRef?: string; reason?: string; fallbackChannel?: Channel; link?: PublishedLink | null },
  at: number,
): OutboxMessage {
  const value: OutreachEvent = {
    eventId: `oev_${randomUUID()}`,
    occurredAt: at,
    correlationId: row.correlationId,
    causationId: row.requestEventId,
    caseId: row.caseId,
    outreachId: row.outreachId,
    channel,
    status,
    providerRef: detail.providerRef ?? null,
    reason: detail.reason ?? null,
    fallbackChannel: detail.fallbackChannel ?? null,
    link: detail.link ?? null,
  };
  return {
    topic: Topics.outreachEvent,
    key: { caseId: row.caseId },
    value,
    headers: { correlationId: row.correlationId, causationId: row.requestEventId },
  };
}

export interface SendAudit {
  action: string;
  outcome: AuditInput['outcome'];
  reason: string;
  channel: Channel;
  providerRef?: string;
  versions?: Record<string, string> | undefined;
}

export function sendAuditMessage(serviceName: string, row: SendRow, what: SendAudit): OutboxMessage {
  return auditMessage(serviceName, {
    action: what.action,
    outcome: what.outcome,
    reason: what.reason,
    correlationId: row.correlationId,
    causationId: row.requestEventId,
    caseId: row.caseId,
    versions: { templateId: row.templateId, ...(what.versions ?? {}) },
    references: {
      outreachId: row.outreachId,
      attempt: String(row.attempt),
      channel: what.channel,
      idempotencyKey: row.idempotencyKey,
      ...(what.providerRef !== undefined ? { providerRef: what.providerRef } : {}),
    },
  });
}

/** An audit event of this service (its actor), as an outbox message: @closeout/audit's one builder. */
export function auditMessage(serviceName: string, input: Omit<AuditInput, 'actor'>): OutboxMessage {
  return buildAuditMessage(serviceName, { actor: { type: 'SERVICE', id: serviceName }, ...input });
}

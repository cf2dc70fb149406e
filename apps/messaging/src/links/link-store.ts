/**
 * The `link` table read back: the mini-app link a send's message carries, as `outreach.event.v1` publishes it (its
 * SHA-256, the case's customer, workflow and purpose, the expiry and the locale the message rendered in), and a link
 * found by its SHA-256 with the send it belongs to (the internal API's one-time codes and opt-outs).
 */
import type { EntityManager } from 'typeorm';
import type { OutreachEvent } from '@closeout/contracts';
import type { Channel } from '@closeout/messaging-channels';
import type { SendRow } from '../sends/send-ledger';

/** What an outreach.event says of the mini-app link its message carries. */
export type PublishedLink = NonNullable<OutreachEvent['link']>;

/** The link as published, from the send and what the link table holds. */
export function publishedLink(
  row: Pick<SendRow, 'customerId' | 'workflowId' | 'purpose' | 'linkExpiresAt'>,
  link: { tokenSha256: string; locale: string | null },
): PublishedLink {
  return {
    tokenSha256: link.tokenSha256,
    customerId: row.customerId,
    workflowId: row.workflowId,
    purpose: row.purpose,
    expiresAt: row.linkExpiresAt,
    locale: link.locale,
  };
}

/**
 * The link of the message a send last went out with (a send sent again after a transient refusal or an outcome that
 * proved not to have gone out mints a new one), or null when none was minted.
 */
export async function linkOfSend(
  db: EntityManager,
  row: Pick<SendRow, 'id' | 'customerId' | 'workflowId' | 'purpose' | 'linkExpiresAt'>,
): Promise<PublishedLink | null> {
  const rows: Array<{ token_sha256: string; locale: string | null }> = await db.query(
    'SELECT token_sha256, locale FROM link WHERE send_id = $1 ORDER BY created_at DESC, token_sha256 LIMIT 1',
    [row.id],
  );
  const found = rows[0];
  return found ? publishedLink(row, { tokenSha256: found.token_sha256, locale: found.locale }) : null;
}

/** A link found by its SHA-256, with what the internal API needs of its send. */
export interface LinkedSend {
  tokenSha256: string;
  sendId: string;
  caseId: string;
  outreachId: string;
  workflowId: string;
  customerId: string;
  purpose: string;
  /** The channel the link's message went out on: a one-time code goes the same way. */
  channel: Channel;
  /** The locale the link's message rendered in, if recorded. */
  locale: string | null;
  correlationId: string;
  requestEventId: string;
  templateId: string;
  attempt: number;
  idempotencyKey: string;
  expiresAt: number;
}

/** The link whose token hashes to `tokenSha256`, expired or not; `lock` takes it FOR UPDATE (one caller at a time). */
export async function findLinkedSend(
  db: EntityManager,
  tokenSha256: string,
  options: { lock?: boolean } = {},
): Promise<LinkedSend | undefined> {
  const rows: Array<{
    token_sha256: string;
    send_id: string;
    case_id: string;
    outreach_id: string;
    workflow_id: string;
    customer_id: string;
    purpose: string;
    channel: Channel;
    locale: string | null;
    correlation_id: string;
    request_event_id: string;
    template_id: string;
    attempt: number;
    idempotency_key: string;
    expires_at: Date;
  }> = await db.query(
    `SELECT l.token_sha256, l.send_id, l.case_id, l.outreach_id, s.workflow_id, s.customer_id, l.purpose, s.channel,
            l.locale, s.correlation_id, s.request_event_id, s.template_id, s.attempt, s.idempotency_key, l.expires_at
     FROM link l JOIN send s ON s.id = l.send_id WHERE l.token_sha256 = $1
     ${options.lock ? 'FOR UPDATE OF l' : ''}`,
    [tokenSha256],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    tokenSha256: r.token_sha256,
    sendId: String(r.send_id),
    caseId: r.case_id,
    outreachId: r.outreach_id,
    workflowId: r.workflow_id,
    customerId: r.customer_id,
    purpose: r.purpose,
    channel: r.channel,
    locale: r.locale,
    correlationId: r.correlation_id,
    requestEventId: r.request_event_id,
    templateId: r.template_id,
    attempt: r.attempt,
    idempotencyKey: r.idempotency_key,
    expiresAt: r.expires_at.getTime(),
  };
}

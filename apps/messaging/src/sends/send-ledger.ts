/**
 * The send ledger in PostgreSQL: the work queue and the record of every outreach attempt. Admitted once per
 * (outreach id, attempt); claimed with FOR UPDATE SKIP LOCKED and a lease; every worker move is one statement: the
 * UPDATE guarded by the row's status (`ALLOWED_MOVES`) and the lease holder, with the outbox messages (and contact
 * attempt, and link hash) it writes, many rows per statement (`moveSends`).
 */
import type { EntityManager } from 'typeorm';
import type { OutreachRequested } from '@closeout/contracts';
import type { Channel } from '@closeout/messaging-channels';
import { DomainError } from '@closeout/errors';
import { outboxRowOf, type OutboxMessage } from '@closeout/outbox';
import { messageTraceContext, traceContextOf } from '@closeout/telemetry';
import {
  policyInputsLateral,
  policyInputsOf,
  type PolicyInputs,
  type PolicyInputsJson,
} from './policy-inputs';
import { fromStatesFor, TO_RESOLVE, type SendStatus } from './send-status';

export class LostLeaseError extends DomainError<'SEND_LEASE_LOST'> {
  constructor(sendId: string, to: SendStatus) {
    super('SEND_LEASE_LOST', `send ${sendId}: not moved to ${to}: another worker holds it or it moved on`);
  }
}

export interface SendRow {
  id: string;
  outreachId: string;
  attempt: number;
  caseId: string;
  workflowId: string;
  customerId: string;
  requestedChannel: Channel;
  channel: Channel;
  templateId: string;
  purpose: string;
  linkExpiresAt: number;
  idempotencyKey: string;
  correlationId: string;
  requestEventId: string;
  status: SendStatus;
  sendAttempts: number;
  failedChannels: Channel[];
  messageId: string | null;
  provider: string | null;
  providerRef: string | null;
  sendingSince: number | null;
  createdAt: number;
  /** The trace context of the outreach.requested that admitted the send (null when none was kept). */
  traceparent: string | null;
  tracestate: string | null;
}

interface DbRow {
  id: string;
  outreach_id: string;
  attempt: number;
  case_id: string;
  workflow_id: string;
  customer_id: string;
  requested_channel: Channel;
  channel: Channel;
  template_id: string;
  purpose: string;
  link_expires_at: Date;
  idempotency_key: string;
  correlation_id: string;
  request_event_id: string;
  status: SendStatus;
  send_attempts: number;
  failed_channels: Channel[];
  message_id: string | null;
  provider: string | null;
  provider_ref: string | null;
  sending_since: Date | null;
  created_at: Date;
  traceparent: string | null;
  tracestate: string | null;
}

const toRow = (r: DbRow): SendRow => ({
  id: String(r.id),
  outreachId: r.outreach_id,
  attempt: r.attempt,
  caseId: r.case_id,
  workflowId: r.workflow_id,
  customerId: r.customer_id,
  requestedChannel: r.requested_channel,
  channel: r.channel,
  templateId: r.template_id,
  purpose: r.purpose,
  linkExpiresAt: r.link_expires_at.getTime(),
  idempotencyKey: r.idempotency_key,
  correlationId: r.correlation_id,
  requestEventId: r.request_event_id,
  status: r.status,
  sendAttempts: r.send_attempts,
  failedChannels: r.failed_channels,
  messageId: r.message_id,
  provider: r.provider,
  providerRef: r.provider_ref,
  sendingSince: r.sending_since?.getTime() ?? null,
  createdAt: r.created_at.getTime(),
  traceparent: r.traceparent ?? null,
  tracestate: r.tracestate ?? null,
});

/** TypeORM answers an UPDATE … RETURNING on PostgreSQL with [rows, affected count]; an INSERT with the rows. */
function returned(result: unknown): DbRow[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as DbRow[];
}

/** What a claim reads besides the rows: the policy's inputs for the rows it will decide (not those to resolve). */
export interface ClaimPreload {
  /** Earlier attempts from this instant on (epoch ms) count. */
  since: number;
  /** The configured fallback channels include WhatsApp: every row reads the WhatsApp window. */
  whatsappFallback: boolean;
}

export interface ClaimedSend {
  row: SendRow;
  /** The policy's inputs as they stood at the claim: for a row to decide, when the claim was asked to preload. */
  inputs?: PolicyInputs;
}

/**
 * Claims up to `limit` rows due at `now` (the service clock's; due times are set from it) for `owner` for `leaseMs`:
 * rows to decide (RECEIVED, DEFERRED, RETRY_WAIT), rows whose outcome is open (UNKNOWN) and SENDING rows whose lease
 * ran out (a worker stopped mid-send: resolved by lookup). Leases are the database's time, between workers. With
 * `preload`, the same statement reads the policy's inputs of each row to decide (`policyInputsLateral`).
 */
export async function claimDueSends(
  tx: EntityManager,
  owner: string,
  limit: number,
  leaseMs: number,
  now: number,
  preload?: ClaimPreload,
): Promise<ClaimedSend[]> {
  const rows = returned(
    await tx.query(
      `WITH due AS (
       SELECT id FROM send
       WHERE status IN ('RECEIVED', 'DEFERRED', 'RETRY_WAIT', 'UNKNOWN', 'SENDING')
         AND next_due_at <= $4
         AND (lease_until IS NULL OR lease_until < now())
       ORDER BY next_due_at
       LIMIT $2
       FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE send s SET lease_owner = $1, lease_until = now() + $3 * interval '1 millisecond'
       FROM due WHERE s.id = due.id
       RETURNING s.*)
     SELECT claimed.*, to_jsonb(inputs) AS inputs
     FROM claimed
     ${policyInputsLateral(
       'claimed',
       '$5',
       `(claimed.requested_channel = 'WHATSAPP' OR $6)`,
       `$7 AND NOT (claimed.status = ANY ($8::text[]))`,
     )}`,
      [
        owner,
        limit,
        leaseMs,
        new Date(now),
        new Date(preload?.since ?? now),
        preload?.whatsappFallback ?? false,
        preload !== undefined,
        TO_RESOLVE,
      ],
    ),
  ) as Array<DbRow & { inputs: PolicyInputsJson | null }>;
  return rows.map((r) => ({
    row: toRow(r),
    ...(r.inputs !== null ? { inputs: policyInputsOf(r.inputs) } : {}),
  }));
}

export interface SendChange {
  to: SendStatus;
  owner: string;
  /** Epoch ms; null clears it (a settled row is due no more). */
  nextDueAt: number | null;
  reason?: string | null;
  channel?: Channel;
  providerRef?: string | null;
  provider?: string | null;
  messageId?: string | null;
  sendingSince?: number | null;
  /** Counts one more send. */
  countSend?: boolean;
  /** Adds a channel the message cannot go out on. */
  failedChannel?: Channel;
  /** Keeps the lease (a row moving to SENDING stays this worker's while it sends); released otherwise. */
  keepLease?: boolean;
}

const ms = (v: number | null | undefined): Date | null | undefined =>
  v === undefined ? undefined : v === null ? null : new Date(v);

/** What a move writes besides the row, in the same statement. */
export interface MoveWrites {
  /** outreach.event and audit messages for the outbox, in publishing order. */
  outbox: readonly OutboxMessage[];
  /** A contact attempt at this instant (epoch ms), counted by the frequency caps. */
  attemptAt?: number;
  /** The SHA-256 of the mini-app link minted for this send (hex); the link expires with the request's link. */
  linkSha256?: string;
  /** The locale the message with that link rendered in. */
  linkLocale?: string;
}

export interface SendMove {
  id: string;
  change: SendChange;
  writes: MoveWrites;
}

const MOVE = `
  WITH input AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (
      id bigint, owner text, to_status text, next_due_at timestamptz, reason text, channel text,
      set_provider_ref boolean, provider_ref text, provider text, message_id text, set_sending_since boolean,
      sending_since timestamptz, count_send boolean, failed_channel text, keep_lease boolean, from_statuses text,
      attempt_at timestamptz, link_sha256 text, link_locale text, outbox jsonb)) WITH ORDINALITY AS i(id, owner,
      to_status, next_due_at, reason, channel, set_provider_ref, provider_ref, provider, message_id, set_sending_since,
      sending_since, count_send, failed_channel, keep_lease, from_statuses, attempt_at, link_sha256, link_locale, outbox,
      ord)
  ),
  upd AS (
    UPDATE send s SET
      status = i.to_status,
      next_due_at = i.next_due_at,
      reason = COALESCE(i.reason, s.reason),
      channel = COALESCE(i.channel, s.channel),
      provider_ref = CASE WHEN i.set_provider_ref THEN i.provider_ref ELSE s.provider_ref END,
      provider = COALESCE(i.provider, s.provider),
      message_id = COALESCE(i.message_id, s.message_id),
      sending_since = CASE WHEN i.set_sending_since THEN i.sending_since ELSE s.sending_since END,
      send_attempts = s.send_attempts + CASE WHEN i.count_send THEN 1 ELSE 0 END,
      failed_channels = CASE WHEN i.failed_channel IS NULL OR i.failed_channel = ANY (s.failed_channels)
                             THEN s.failed_channels ELSE array_append(s.failed_channels, i.failed_channel) END,
      lease_owner = CASE WHEN i.keep_lease THEN s.lease_owner ELSE NULL END,
      lease_until = CASE WHEN i.keep_lease THEN s.lease_until ELSE NULL END,
      updated_at = now()
    FROM input i
    WHERE s.id = i.id AND s.lease_owner = i.owner AND s.status = ANY (string_to_array(i.from_statuses, ','))
    RETURNING s.*, i.ord AS input_ord
  ),
  att AS (
    INSERT INTO contact_attempt (customer_id, purpose, channel, send_id, attempted_at)
    SELECT upd.customer_id, upd.purpose, upd.channel, upd.id, i.attempt_at
    FROM upd JOIN input i ON i.ord = upd.input_ord WHERE i.attempt_at IS NOT NULL
  ),
  lnk AS (
    INSERT INTO link (token_sha256, case_id, outreach_id, send_id, purpose, expires_at, locale)
    SELECT i.link_sha256, upd.case_id, upd.outreach_id, upd.id, upd.purpose, upd.link_expires_at, i.link_locale
    FROM upd JOIN input i ON i.ord = upd.input_ord WHERE i.link_sha256 IS NOT NULL
  ),
  ob AS (
    INSERT INTO outbox (topic, key, value, headers, traceparent, tracestate)
    SELECT m.value ->> 'topic', m.value -> 'key', m.value -> 'value', m.value -> 'headers',
           m.value ->> 'traceparent', m.value ->> 'tracestate'
    FROM upd JOIN input i ON i.ord = upd.input_ord, jsonb_array_elements(i.outbox) WITH ORDINALITY AS m(value, n)
    ORDER BY upd.input_ord, m.n
  )
  SELECT * FROM upd`;

/**
 * Moves rows, each guarded by the statuses that may move to its `change.to` and by the lease holder, with what each
 * move writes besides the row — the contact attempt, the mini-app link's hash and the outbox messages — as
 * data-modifying CTEs of one statement: atomic on its own, one round trip and one commit for the lot. The inserts
 * select FROM the guarded UPDATE, so a move whose guard matched nothing writes nothing else either: its answer is a
 * LostLeaseError. Answers come in the order given; rows must be distinct.
 */
export async function moveSends(
  db: EntityManager,
  moves: readonly SendMove[],
): Promise<Array<SendRow | LostLeaseError>> {
  if (moves.length === 0) return [];
  const input = moves.map(({ id, change, writes }) => ({
    id,
    owner: change.owner,
    to_status: change.to,
    next_due_at: ms(change.nextDueAt)?.toISOString() ?? null,
    reason: change.reason ?? null,
    channel: change.channel ?? null,
    set_provider_ref: change.providerRef !== undefined,
    provider_ref: change.providerRef ?? null,
    provider: change.provider ?? null,
    message_id: change.messageId ?? null,
    set_sending_since: change.sendingSince !== undefined,
    sending_since: ms(change.sendingSince)?.toISOString() ?? null,
    count_send: change.countSend === true,
    failed_channel: change.failedChannel ?? null,
    keep_lease: change.keepLease === true,
    from_statuses: fromStatesFor(change.to).join(','),
    attempt_at: ms(writes.attemptAt)?.toISOString() ?? null,
    link_sha256: writes.linkSha256 ?? null,
    link_locale: writes.linkLocale ?? null,
    outbox: writes.outbox.map(outboxRowOf),
  }));
  const rows = returned(await db.query(MOVE, [JSON.stringify(input)])) as Array<
    DbRow & { input_ord: string }
  >;
  const byOrd = new Map(rows.map((r) => [Number(r.input_ord), toRow(r)]));
  return moves.map((m, i) => byOrd.get(i + 1) ?? new LostLeaseError(m.id, m.change.to));
}

/**
 * Admits requests once per (outreach id, attempt), due at `now` (the service clock's), in one statement: the rows
 * admitted now; requests already admitted (or repeated in the batch) give none.
 */
export async function admitSends(
  tx: EntityManager,
  requests: readonly OutreachRequested[],
  now: number,
): Promise<SendRow[]> {
  if (requests.length === 0) return [];
  const rows: DbRow[] = await tx.query(
    `INSERT INTO send (outreach_id, attempt, case_id, workflow_id, customer_id, requested_channel, channel, template_id,
       purpose, link_expires_at, idempotency_key, correlation_id, request_event_id, status, next_due_at, created_at,
       traceparent, tracestate)
     SELECT r."outreachId", r.attempt, r."caseId", r."workflowId", r."customerId", r.channel, r.channel, r."templateId",
       r.purpose, to_timestamp(r."linkExpiresAt" / 1000.0), r."idempotencyKey", r."correlationId", r."eventId",
       'RECEIVED', $2, $2, r.traceparent, r.tracestate
     FROM jsonb_to_recordset($1::jsonb) AS r("outreachId" text, attempt int, "caseId" text, "workflowId" text,
       "customerId" text, channel text, "templateId" text, purpose text, "linkExpiresAt" bigint,
       "idempotencyKey" text, "correlationId" text, "eventId" text, traceparent text, tracestate text)
     ON CONFLICT (outreach_id, attempt) DO NOTHING
     RETURNING *`,
    // Each row keeps the trace context of the message that admitted it (the consumer's span for it).
    [
      JSON.stringify(
        requests.map((r) => ({ ...r, ...traceContextOf(messageTraceContext(r.correlationId)) })),
      ),
      new Date(now),
    ],
  );
  return rows.map(toRow);
}

/** Records an attempt that may have reached the customer, for the frequency caps. */
export async function recordContactAttempt(tx: EntityManager, row: SendRow, at: number): Promise<void> {
  await tx.query(
    `INSERT INTO contact_attempt (customer_id, purpose, channel, send_id, attempted_at) VALUES ($1, $2, $3, $4, $5)`,
    [row.customerId, row.purpose, row.channel, row.id, new Date(at)],
  );
}

/** The statuses a provider's report may move a row from: a send that went out, or may have. */
const REPORTABLE: readonly SendStatus[] = ['SENDING', 'UNKNOWN', 'SENT'];

/**
 * A provider's report of a send (a status webhook), matched by its reference or, when the provider echoes it, our
 * message id: moved to `to` only where `ALLOWED_MOVES` allows from a send that went out — never backwards, so a
 * duplicate or late report moves nothing — whoever holds the lease. The row and the status it left, or undefined
 * when no row moved.
 */
export async function reportSend(
  tx: EntityManager,
  match: { channel: Channel; providerRef: string; messageId?: string | undefined },
  to: SendStatus,
  reason: string,
): Promise<{ row: SendRow; from: SendStatus } | undefined> {
  const from = fromStatesFor(to).filter((s) => REPORTABLE.includes(s));
  const result: unknown = await tx.query(
    `WITH target AS (
       SELECT id, status AS from_status FROM send
       WHERE channel = $1 AND (provider_ref = $2 OR ($3::text IS NOT NULL AND message_id = $3))
         AND NOT ($1 = ANY (failed_channels))
       ORDER BY id DESC LIMIT 1
       FOR UPDATE)
     UPDATE send s SET
       status = $4,
       next_due_at = NULL,
       provider_ref = COALESCE(s.provider_ref, $2),
       reason = $5,
       lease_owner = NULL,
       lease_until = NULL,
       updated_at = now()
     FROM target WHERE s.id = target.id AND s.status = ANY ($6::text[])
     RETURNING s.*, target.from_status`,
    [match.channel, match.providerRef, match.messageId ?? null, to, reason, from],
  );
  const updated = returned(result) as Array<DbRow & { from_status: SendStatus }>;
  const moved = updated[0];
  return moved ? { row: toRow(moved), from: moved.from_status } : undefined;
}

/**
 * The latest send of each of the customer's outreaches whose link is still open at `now`, for a purpose (`*`: every
 * purpose): what an opt-out ends.
 */
export async function openSendsOf(
  tx: EntityManager,
  customerId: string,
  purpose: string,
  now: number,
): Promise<SendRow[]> {
  const rows: DbRow[] = await tx.query(
    `SELECT DISTINCT ON (outreach_id) * FROM send
     WHERE customer_id = $1 AND ($2 = '*' OR purpose = $2) AND link_expires_at > $3
     ORDER BY outreach_id, attempt DESC, id DESC`,
    [customerId, purpose, new Date(now)],
  );
  return rows.map(toRow).filter((r) => r.status !== 'SUPPRESSED' && r.status !== 'FAILED');
}

/** The purpose of the customer's latest send on a channel that went out (what a reply there answers). */
export async function latestPurposeOn(
  tx: EntityManager,
  customerId: string,
  channel: Channel,
): Promise<string | undefined> {
  const rows: Array<{ purpose: string }> = await tx.query(
    `SELECT purpose FROM send
     WHERE customer_id = $1 AND channel = $2 AND status IN ('SENDING', 'UNKNOWN', 'SENT', 'DELIVERED')
     ORDER BY id DESC LIMIT 1`,
    [customerId, channel],
  );
  return rows[0]?.purpose;
}

/**
 * The send a provider reports as failed, locked for the caller's transaction: only one that went out (or may have) on
 * that channel and has not failed there already — a report for a send that fell back or failed finds nothing.
 */
export async function lockReportedSend(
  tx: EntityManager,
  match: { channel: Channel; providerRef: string; messageId?: string | undefined },
): Promise<SendRow | undefined> {
  const rows: DbRow[] = await tx.query(
    `SELECT * FROM send
     WHERE channel = $1 AND (provider_ref = $2 OR ($3::text IS NOT NULL AND message_id = $3))
       AND NOT ($1 = ANY (failed_channels)) AND status = ANY ($4::text[])
     ORDER BY id DESC LIMIT 1
     FOR UPDATE`,
    [match.channel, match.providerRef, match.messageId ?? null, REPORTABLE],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/**
 * Moves a send reported failed (locked by `lockReportedSend`): back to RECEIVED, due at `nextDueAt`, to be decided
 * again on another channel, or FAILED. Its channel joins the failed ones; whoever held the lease loses it.
 */
export async function failReportedSend(
  tx: EntityManager,
  row: SendRow,
  change: { to: 'RECEIVED' | 'FAILED'; nextDueAt: number | null; reason: string; providerRef: string },
): Promise<SendRow> {
  const result: unknown = await tx.query(
    `UPDATE send SET
       status = $2,
       next_due_at = $3,
       reason = $4,
       provider_ref = COALESCE(provider_ref, $5),
       failed_channels = CASE WHEN channel = ANY (failed_channels) THEN failed_channels
                              ELSE array_append(failed_channels, channel) END,
       lease_owner = NULL,
       lease_until = NULL,
       updated_at = now()
     WHERE id = $1 AND status = ANY ($6::text[])
     RETURNING *`,
    [
      row.id,
      change.to,
      ms(change.nextDueAt),
      change.reason,
      change.providerRef,
      fromStatesFor(change.to).filter((s) => REPORTABLE.includes(s)),
    ],
  );
  const updated = returned(result);
  if (!updated[0]) throw new LostLeaseError(row.id, change.to);
  return toRow(updated[0]);
}

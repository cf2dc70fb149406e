/**
 * What the mini-app learns from other services' events, as SQL in the caller's transaction: the links messaging sent
 * (outreach.event SENT with `link`), their revocation (a newer link for the case, an opt-out, a terminal case), and
 * the customers' hashed known facts (customer.facts.v1). Every write is idempotent: a redelivered event changes nothing.
 */
import type { EntityManager } from 'typeorm';
import { messageTraceContext, traceContextOf } from '@closeout/telemetry';
import { rowsOf } from '../persistence/rows';

/** `outreach.event.v1`'s `link` (interfaces: the MiniAppLink record), as the mini-app reads it. */
export interface SentLink {
  tokenSha256: string;
  customerId: string;
  workflowId: string;
  purpose: string;
  expiresAt: number;
  locale: string | null;
}

/** The part of an outreach.event the mini-app reads. */
export interface OutreachEventView {
  eventId: string;
  occurredAt: number;
  correlationId: string;
  caseId: string;
  outreachId: string;
  channel: string;
  status: string;
  link?: SentLink | null;
}

/** One hashed fact of `customer.facts.v1` (HashedKnownFact). */
export interface HashedFactView {
  name: string;
  algorithm: string;
  salt: string;
  hash: string;
}

export interface CustomerFactsView {
  eventId: string;
  occurredAt: number;
  customerId: string;
  facts: HashedFactView[];
}

/** The case states after which no link of the case may be used. */
export const TERMINAL_CASE_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'EXCEPTION',
  'EXPIRED',
  'CLOSED',
]);

export type RevocationReason = 'superseded' | 'opted-out' | 'case-terminal' | 'identity-locked';

/**
 * The values of a link row's columns $1–$13, in the order both inserts below list them. The last two are the trace
 * context of the message that carried the link (the consumer's span for it), which the customer's requests continue.
 */
const linkRowValues = (event: OutreachEventView, link: SentLink): unknown[] => [
  link.tokenSha256.toLowerCase(),
  event.caseId,
  event.outreachId,
  link.customerId,
  link.workflowId,
  link.purpose,
  link.locale,
  event.channel,
  event.correlationId,
  event.occurredAt,
  link.expiresAt,
  ...traceOf(event),
];

const traceOf = (event: OutreachEventView): [string | null, string | null] => {
  const { traceparent, tracestate } = traceContextOf(messageTraceContext(event.correlationId));
  return [traceparent ?? null, tracestate ?? null];
};

/**
 * Records a sent link; the case's other open links sent before it are revoked (superseded). A link of a case already
 * terminal is stored revoked. Returns how many older links were revoked.
 */
export async function recordSentLink(
  tx: EntityManager,
  event: OutreachEventView,
  link: SentLink,
): Promise<number> {
  await tx.query(
    `INSERT INTO link (token_sha256, case_id, outreach_id, customer_id, workflow_id, purpose, locale, channel,
                       correlation_id, sent_at, expires_at, traceparent, tracestate, status, revoked_at,
                       revoked_reason)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10 / 1000.0), to_timestamp($11 / 1000.0), $12, $13,
            CASE WHEN r.case_id IS NULL THEN 'OPEN' ELSE 'REVOKED' END,
            CASE WHEN r.case_id IS NULL THEN NULL ELSE now() END, r.reason
       FROM (SELECT 1) one LEFT JOIN revoked_case r ON r.case_id = $2
     ON CONFLICT (token_sha256) DO NOTHING`,
    linkRowValues(event, link),
  );
  const revoked = await rowsOf(
    tx,
    `UPDATE link SET status = 'REVOKED', revoked_at = now(), revoked_reason = 'superseded'
      WHERE case_id = $1 AND status = 'OPEN' AND token_sha256 <> $2 AND sent_at <= to_timestamp($3 / 1000.0)
      RETURNING token_sha256`,
    [event.caseId, link.tokenSha256.toLowerCase(), event.occurredAt],
  );
  return revoked.length;
}

/**
 * Records the link of a DELIVERED that no SENT preceded (messaging settled the send's outcome by lookup or receipt):
 * the event's time is the delivery's, not the send's, so it cannot order links. The link is stored OPEN only when
 * the case has no other link (and is not terminal); otherwise it is stored REVOKED as superseded, and it revokes
 * nothing. A link already known (its SENT came first) is left as it is.
 */
export async function recordDeliveredLink(
  tx: EntityManager,
  event: OutreachEventView,
  link: SentLink,
): Promise<void> {
  await tx.query(
    `INSERT INTO link (token_sha256, case_id, outreach_id, customer_id, workflow_id, purpose, locale, channel,
                       correlation_id, sent_at, expires_at, traceparent, tracestate, status, revoked_at,
                       revoked_reason)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10 / 1000.0), to_timestamp($11 / 1000.0), $12, $13,
            CASE WHEN r.case_id IS NULL AND other.token_sha256 IS NULL THEN 'OPEN' ELSE 'REVOKED' END,
            CASE WHEN r.case_id IS NULL AND other.token_sha256 IS NULL THEN NULL ELSE now() END,
            CASE WHEN r.case_id IS NOT NULL THEN r.reason WHEN other.token_sha256 IS NOT NULL THEN 'superseded' END
       FROM (SELECT 1) one
       LEFT JOIN revoked_case r ON r.case_id = $2
       LEFT JOIN LATERAL (SELECT token_sha256 FROM link WHERE case_id = $2 AND token_sha256 <> $1 LIMIT 1) other
         ON true
     ON CONFLICT (token_sha256) DO NOTHING`,
    linkRowValues(event, link),
  );
}

/** Revokes the case's open links; with `remember`, links of the case that arrive later are stored revoked too. */
export async function revokeCaseLinks(
  tx: EntityManager,
  caseId: string,
  reason: RevocationReason,
  remember = false,
): Promise<number> {
  if (remember)
    await tx.query(`INSERT INTO revoked_case (case_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      caseId,
      reason,
    ]);
  const rows = await rowsOf(
    tx,
    `UPDATE link SET status = 'REVOKED', revoked_at = now(), revoked_reason = $2
      WHERE case_id = $1 AND status = 'OPEN' RETURNING token_sha256`,
    [caseId, reason],
  );
  return rows.length;
}

/**
 * Replaces the customer's facts with a statement's, unless a later statement is already held (the latest
 * `occurredAt` wins; facts not in the statement are removed). Returns whether it was applied.
 */
export async function replaceKnownFacts(tx: EntityManager, statement: CustomerFactsView): Promise<boolean> {
  const applied: unknown[] = await tx.query(
    `INSERT INTO known_fact_statement (customer_id, event_id, occurred_at)
     VALUES ($1, $2, to_timestamp($3 / 1000.0))
     ON CONFLICT (customer_id) DO UPDATE SET event_id = EXCLUDED.event_id, occurred_at = EXCLUDED.occurred_at,
       updated_at = now()
       WHERE known_fact_statement.occurred_at <= EXCLUDED.occurred_at
     RETURNING customer_id`,
    [statement.customerId, statement.eventId, statement.occurredAt],
  );
  if (applied.length === 0) return false;
  await tx.query(`DELETE FROM known_fact WHERE customer_id = $1`, [statement.customerId]);
  // The last fact of a name wins when a statement repeats one.
  const byName = new Map(statement.facts.map((f) => [f.name, f]));
  const facts = [...byName.values()];
  if (facts.length > 0)
    await tx.query(
      `INSERT INTO known_fact (customer_id, name, algorithm, salt, hash)
       SELECT $1, unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[])`,
      [
        statement.customerId,
        facts.map((f) => f.name),
        facts.map((f) => f.algorithm),
        facts.map((f) => f.salt),
        facts.map((f) => f.hash),
      ],
    );
  return true;
}

/**
 * Links are opened and sessions kept in SQL, each step one guarded statement: of many parallel opens of one link
 * exactly one finds it OPEN (`UPDATE … WHERE status = 'OPEN' AND expires_at > now()`), and that statement creates the
 * session and writes its audit event. The cookie carries the session id; only its SHA-256 is stored.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { outboxRowsParam, type OutboxMessage } from '@closeout/outbox';
import { outboxCte } from '../persistence/outbox-cte';

export const SESSION_COOKIE = '__Host-closeout_session';

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface SessionRow {
  idSha256: string;
  ref: string;
  tokenSha256: string;
  caseId: string;
  outreachId: string;
  customerId: string;
  workflowId: string;
  correlationId: string;
  locale: string;
  csrfToken: string;
  status: 'ACTIVE' | 'LOCKED' | 'ENDED';
  otpVerified: boolean;
  factVerified: boolean;
  otpFailures: number;
  factFailures: number;
  /** The trace context of the message that carried the session's link (null when none was kept): see case-trace. */
  traceparent: string | null;
  tracestate: string | null;
}

const SESSION_COLUMNS = `id_sha256 AS "idSha256", ref, token_sha256 AS "tokenSha256", case_id AS "caseId",
  outreach_id AS "outreachId", customer_id AS "customerId", workflow_id AS "workflowId",
  correlation_id AS "correlationId", locale, csrf_token AS "csrfToken", status,
  otp_verified_at IS NOT NULL AS "otpVerified", fact_verified_at IS NOT NULL AS "factVerified",
  otp_failures AS "otpFailures", fact_failures AS "factFailures", traceparent, tracestate`;

export type LinkRefusal = 'unknown' | 'expired' | 'used' | 'revoked';

export interface LinkFacts {
  caseId: string;
  correlationId: string;
  locale: string | null;
  /** The trace context of the message that carried the link, when one was kept. */
  traceparent: string | null;
  tracestate: string | null;
}

export type OpenOutcome =
  | { opened: true; sessionId: string; session: SessionRow }
  | { opened: false; refusal: LinkRefusal; link?: LinkFacts };

/** What the link open writes with the session, in the same statement: its audit event. */
export type OpenedAudit = (opened: { ref: string; caseId: string; correlationId: string }) => OutboxMessage;

interface LinkState extends LinkFacts {
  status: string;
  expired: boolean;
}

/** The link's state, or undefined when the mini-app holds no such link. */
export async function linkState(db: EntityManager, tokenSha256: string): Promise<LinkState | undefined> {
  const rows: LinkState[] = await db.query(
    `SELECT status, expires_at <= now() AS expired, case_id AS "caseId", correlation_id AS "correlationId", locale,
            traceparent, tracestate
       FROM link WHERE token_sha256 = $1`,
    [tokenSha256],
  );
  return rows[0];
}

/** The facts of a link that never change once it is stored. */
export const linkFactsOf = (link: LinkFacts): LinkFacts => ({
  caseId: link.caseId,
  correlationId: link.correlationId,
  locale: link.locale,
  traceparent: link.traceparent,
  tracestate: link.tracestate,
});

const refusalOf = (link: LinkState | undefined): OpenOutcome & { opened: false } => {
  if (!link) return { opened: false, refusal: 'unknown' };
  const facts = linkFactsOf(link);
  if (link.status === 'USED') return { opened: false, refusal: 'used', link: facts };
  if (link.status === 'REVOKED') return { opened: false, refusal: 'revoked', link: facts };
  return { opened: false, refusal: 'expired', link: facts };
};

/**
 * Consumes an OPEN, unexpired link, creates its session and writes the audit event in one statement (no explicit
 * transaction); otherwise says why not. The link's case, correlation and locale (they never change once stored) are
 * needed before the guarded UPDATE, for the audit event and the session's resolved locale: they are read first unless
 * `known` (the link page read them moments before; `LinkFactsCache`). Of many parallel opens exactly one finds the
 * link OPEN and unexpired in the UPDATE itself, and only that one's session and audit event are written; the others
 * read the link to say why not.
 */
export async function openLink(
  db: EntityManager,
  tokenSha256: string,
  locale: (tag: string | null) => string,
  maxSeconds: number,
  audit: OpenedAudit,
  /** The link's facts when already known (the link page read them): the read before the open is then skipped. */
  known?: LinkFacts,
  /** Told the link's facts before the open is tried (the request continues the case's trace with them). */
  onLink?: (link: LinkFacts) => void,
): Promise<OpenOutcome> {
  let link: LinkFacts | undefined = known;
  if (!link) {
    const state = await linkState(db, tokenSha256);
    if (!state || state.status !== 'OPEN' || state.expired) return refusalOf(state);
    link = state;
  }
  onLink?.(link);
  const sessionId = randomBytes(32).toString('base64url');
  const ref = `ses_${randomUUID()}`;
  const message = audit({ ref, caseId: link.caseId, correlationId: link.correlationId });
  const rows: SessionRow[] = await db.query(
    `WITH used AS (
       UPDATE link SET status = 'USED', used_at = now()
        WHERE token_sha256 = $1 AND status = 'OPEN' AND expires_at > now()
        RETURNING token_sha256, case_id, outreach_id, customer_id, workflow_id, correlation_id, traceparent,
                  tracestate),
     opened AS (
       INSERT INTO session (id_sha256, ref, token_sha256, case_id, outreach_id, customer_id, workflow_id,
                            correlation_id, locale, csrf_token, expires_at, traceparent, tracestate)
       SELECT $2, $3, token_sha256, case_id, outreach_id, customer_id, workflow_id, correlation_id, $6, $4,
              now() + make_interval(secs => $5), traceparent, tracestate
         FROM used
       RETURNING ${SESSION_COLUMNS}),
     ${outboxCte('audited', 7, 'opened')}
     SELECT * FROM opened`,
    [
      tokenSha256,
      sha256Hex(sessionId),
      ref,
      randomBytes(32).toString('base64url'),
      maxSeconds,
      // The locale is the link's (the message's), resolved to one the pages have strings for.
      locale(link.locale),
      outboxRowsParam([message]),
    ],
  );
  const session = rows[0];
  if (session) return { opened: true, sessionId, session };
  // Another open won the race, or the link expired or was revoked meanwhile.
  return refusalOf(await linkState(db, tokenSha256));
}

/** What a page may also need to know of its session, read by the same statement as the session. */
export interface SessionExtras {
  /** An unused, unexpired one-time code is held for the session. */
  codeLive?: boolean;
  /** The session has published an action (identity.locked aside). */
  acted?: boolean;
}

export type SessionLookup =
  | { kind: 'active'; session: SessionRow; extras: SessionExtras }
  | { kind: 'locked'; session: SessionRow }
  | { kind: 'ended'; locale?: string };

/**
 * `last_seen_at` is written only when it is older than this: the idle time is counted from the last write, so a
 * session may end up to this much before MINIAPP_SESSION_IDLE_SECONDS of real idleness (never later), and a journey's
 * requests read the session without writing it.
 */
export const SESSION_TOUCH_AFTER_SECONDS = 30;

/**
 * The session a cookie names, if it is active: not locked or ended, used within the idle time, before its absolute
 * end. One statement reads it and, when last seen more than SESSION_TOUCH_AFTER_SECONDS ago, restarts its idle time.
 */
export async function touchSession(
  db: EntityManager,
  sessionId: string,
  idleSeconds: number,
  /** The extras the page needs, read in the same statement (a lookup by the indexed session_ref each). */
  want: { codeLive?: boolean; acted?: boolean } = {},
): Promise<SessionLookup> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return { kind: 'ended' };
  const live = `status = 'ACTIVE' AND expires_at > now() AND last_seen_at > now() - make_interval(secs => $2)`;
  const extras = [
    want.codeLive
      ? `, EXISTS (SELECT 1 FROM one_time_code c WHERE c.session_ref = session.ref AND c.used_at IS NULL
                      AND c.expires_at > now()) AS "codeLive"`
      : '',
    want.acted
      ? `, EXISTS (SELECT 1 FROM action_submission a WHERE a.session_ref = session.ref
                      AND a.action <> 'identity.locked') AS acted`
      : '',
  ].join('');
  const rows: Array<SessionRow & { live: boolean; codeLive?: boolean; acted?: boolean }> = await db.query(
    `WITH touched AS (
       UPDATE session SET last_seen_at = now()
        WHERE id_sha256 = $1 AND ${live} AND last_seen_at <= now() - make_interval(secs => $3)
        RETURNING id_sha256)
     SELECT ${SESSION_COLUMNS}, ${live} AS live${extras} FROM session WHERE id_sha256 = $1`,
    [sha256Hex(sessionId), idleSeconds, SESSION_TOUCH_AFTER_SECONDS],
  );
  const found = rows[0];
  if (!found) return { kind: 'ended' };
  const { live: isLive, codeLive, acted, ...session } = found;
  if (isLive) return { kind: 'active', session, extras: { codeLive, acted } };
  if (session.status === 'LOCKED') return { kind: 'locked', session };
  return { kind: 'ended', locale: session.locale };
}

/** The cookie's attributes: a `__Host-` cookie must be Secure, Path=/ and carry no Domain. */
export function sessionCookie(sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/** The session id from a Cookie header, or undefined. */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader || cookieHeader.length > 4096) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return undefined;
}

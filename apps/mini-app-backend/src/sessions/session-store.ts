/**
 * Links are opened and sessions kept in SQL, each step one guarded statement: of many parallel opens of one link
 * exactly one finds it OPEN (`UPDATE … WHERE status = 'OPEN' AND expires_at > now()`), and that statement creates the
 * session and writes its audit event. The cookie carries the session id; only its SHA-256 is stored.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { OutboxMessage } from '@closeout/outbox';
import { outboxCte, outboxParam } from '../persistence/outbox-cte';

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
}

const SESSION_COLUMNS = `id_sha256 AS "idSha256", ref, token_sha256 AS "tokenSha256", case_id AS "caseId",
  outreach_id AS "outreachId", customer_id AS "customerId", workflow_id AS "workflowId",
  correlation_id AS "correlationId", locale, csrf_token AS "csrfToken", status,
  otp_verified_at IS NOT NULL AS "otpVerified", fact_verified_at IS NOT NULL AS "factVerified",
  otp_failures AS "otpFailures", fact_failures AS "factFailures"`;

export type LinkRefusal = 'unknown' | 'expired' | 'used' | 'revoked';

export interface LinkFacts {
  caseId: string;
  correlationId: string;
  locale: string | null;
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
    `SELECT status, expires_at <= now() AS expired, case_id AS "caseId", correlation_id AS "correlationId", locale
       FROM link WHERE token_sha256 = $1`,
    [tokenSha256],
  );
  return rows[0];
}

const refusalOf = (link: LinkState | undefined): OpenOutcome & { opened: false } => {
  if (!link) return { opened: false, refusal: 'unknown' };
  const facts = { caseId: link.caseId, correlationId: link.correlationId, locale: link.locale };
  if (link.status === 'USED') return { opened: false, refusal: 'used', link: facts };
  if (link.status === 'REVOKED') return { opened: false, refusal: 'revoked', link: facts };
  return { opened: false, refusal: 'expired', link: facts };
};

/**
 * Consumes an OPEN, unexpired link, creates its session and writes the audit event in one statement (no explicit
 * transaction); otherwise says why not. The link is read first for its case, correlation and locale (they never change
 * once stored), so the audit event and the session's resolved locale are known before the guarded UPDATE: of many
 * parallel opens exactly one finds the link OPEN, and only that one's session and audit event are written.
 */
export async function openLink(
  db: EntityManager,
  tokenSha256: string,
  locale: (tag: string | null) => string,
  maxSeconds: number,
  audit: OpenedAudit,
): Promise<OpenOutcome> {
  const link = await linkState(db, tokenSha256);
  if (!link || link.status !== 'OPEN' || link.expired) return refusalOf(link);
  const sessionId = randomBytes(32).toString('base64url');
  const ref = `ses_${randomUUID()}`;
  const message = audit({ ref, caseId: link.caseId, correlationId: link.correlationId });
  const rows: SessionRow[] = await db.query(
    `WITH used AS (
       UPDATE link SET status = 'USED', used_at = now()
        WHERE token_sha256 = $1 AND status = 'OPEN' AND expires_at > now()
        RETURNING token_sha256, case_id, outreach_id, customer_id, workflow_id, correlation_id),
     opened AS (
       INSERT INTO session (id_sha256, ref, token_sha256, case_id, outreach_id, customer_id, workflow_id,
                            correlation_id, locale, csrf_token, expires_at)
       SELECT $2, $3, token_sha256, case_id, outreach_id, customer_id, workflow_id, correlation_id, $6, $4,
              now() + make_interval(secs => $5)
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
      outboxParam([message]),
    ],
  );
  const session = rows[0];
  if (session) return { opened: true, sessionId, session };
  // Another open won the race, or the link expired or was revoked meanwhile.
  return refusalOf(await linkState(db, tokenSha256));
}

export type SessionLookup =
  | { kind: 'active'; session: SessionRow }
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
): Promise<SessionLookup> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return { kind: 'ended' };
  const live = `status = 'ACTIVE' AND expires_at > now() AND last_seen_at > now() - make_interval(secs => $2)`;
  const rows: Array<SessionRow & { live: boolean }> = await db.query(
    `WITH touched AS (
       UPDATE session SET last_seen_at = now()
        WHERE id_sha256 = $1 AND ${live} AND last_seen_at <= now() - make_interval(secs => $3)
        RETURNING id_sha256)
     SELECT ${SESSION_COLUMNS}, ${live} AS live FROM session WHERE id_sha256 = $1`,
    [sha256Hex(sessionId), idleSeconds, SESSION_TOUCH_AFTER_SECONDS],
  );
  const found = rows[0];
  if (!found) return { kind: 'ended' };
  const { live: isLive, ...session } = found;
  if (isLive) return { kind: 'active', session };
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

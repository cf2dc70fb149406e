/**
 * Links are opened and sessions kept in SQL, each step one guarded statement: of many parallel opens of one link
 * exactly one finds it OPEN (`UPDATE … WHERE status = 'OPEN' AND expires_at > now()`), and that statement creates the
 * session. The cookie carries the session id; only its SHA-256 is stored.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { rowsOf } from '../persistence/rows';

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

/** Consumes an OPEN, unexpired link and creates its session in one statement; otherwise says why not. */
export async function openLink(
  db: EntityManager,
  tokenSha256: string,
  locale: (tag: string | null) => string,
  maxSeconds: number,
): Promise<OpenOutcome> {
  const sessionId = randomBytes(32).toString('base64url');
  const rows: SessionRow[] = await db.query(
    `WITH used AS (
       UPDATE link SET status = 'USED', used_at = now()
        WHERE token_sha256 = $1 AND status = 'OPEN' AND expires_at > now()
        RETURNING token_sha256, case_id, outreach_id, customer_id, workflow_id, correlation_id, locale)
     INSERT INTO session (id_sha256, ref, token_sha256, case_id, outreach_id, customer_id, workflow_id,
                          correlation_id, locale, csrf_token, expires_at)
     SELECT $2, $3, token_sha256, case_id, outreach_id, customer_id, workflow_id, correlation_id, locale, $4,
            now() + make_interval(secs => $5)
       FROM used
     RETURNING ${SESSION_COLUMNS}`,
    [
      tokenSha256,
      sha256Hex(sessionId),
      `ses_${randomUUID()}`,
      randomBytes(32).toString('base64url'),
      maxSeconds,
    ],
  );
  const session = rows[0];
  if (session) {
    // The locale is the link's (the message's); the page resolves it to one it has strings for.
    const resolved = locale(session.locale);
    if (resolved !== session.locale) {
      await db.query(`UPDATE session SET locale = $2 WHERE id_sha256 = $1`, [session.idSha256, resolved]);
      session.locale = resolved;
    }
    return { opened: true, sessionId, session };
  }
  const found: Array<{
    status: string;
    expired: boolean;
    caseId: string;
    correlationId: string;
    locale: string | null;
  }> = await db.query(
    `SELECT status, expires_at <= now() AS expired, case_id AS "caseId", correlation_id AS "correlationId", locale
         FROM link WHERE token_sha256 = $1`,
    [tokenSha256],
  );
  const link = found[0];
  if (!link) return { opened: false, refusal: 'unknown' };
  const facts = { caseId: link.caseId, correlationId: link.correlationId, locale: link.locale };
  if (link.status === 'USED') return { opened: false, refusal: 'used', link: facts };
  if (link.status === 'REVOKED') return { opened: false, refusal: 'revoked', link: facts };
  return { opened: false, refusal: 'expired', link: facts };
}

export type SessionLookup =
  | { kind: 'active'; session: SessionRow }
  | { kind: 'locked'; session: SessionRow }
  | { kind: 'ended'; locale?: string };

/**
 * The session a cookie names, if it is active: not locked or ended, used within the idle time, before its absolute
 * end. Touching it restarts the idle time.
 */
export async function touchSession(
  db: EntityManager,
  sessionId: string,
  idleSeconds: number,
): Promise<SessionLookup> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return { kind: 'ended' };
  const idSha256 = sha256Hex(sessionId);
  const rows = await rowsOf<SessionRow>(
    db,
    `UPDATE session SET last_seen_at = now()
      WHERE id_sha256 = $1 AND status = 'ACTIVE' AND expires_at > now()
        AND last_seen_at > now() - make_interval(secs => $2)
      RETURNING ${SESSION_COLUMNS}`,
    [idSha256, idleSeconds],
  );
  if (rows[0]) return { kind: 'active', session: rows[0] };
  const other: SessionRow[] = await db.query(`SELECT ${SESSION_COLUMNS} FROM session WHERE id_sha256 = $1`, [
    idSha256,
  ]);
  if (other[0]?.status === 'LOCKED') return { kind: 'locked', session: other[0] };
  return other[0] ? { kind: 'ended', locale: other[0].locale } : { kind: 'ended' };
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

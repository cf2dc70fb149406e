/**
 * Operator sessions, in this process's memory: the cookie carries a random id, only its SHA-256 is kept, with the
 * operator, role, a CSRF token for the session's forms, and idle and absolute expiry. One replica (or sticky
 * sessions): a restart signs everyone out, which for a staff console is acceptable.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './operators';

export const SESSION_COOKIE = '__Host-closeout_console';

export interface Session {
  operatorId: string;
  role: Role;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** More live sessions than this and the oldest go: memory stays bounded whatever happens. */
const MAX_SESSIONS = 10_000;

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: { idleMs: number; maxMs: number }) {}

  /** A new session for the operator (a sign-in always starts a new one: no fixation); returns the cookie's id. */
  create(operatorId: string, role: Role, now = Date.now()): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      operatorId,
      role,
      csrf: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
    };
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    this.sessions.set(sha256(id), session);
    return { id, session };
  }

  /** The live session the cookie names, touched; undefined when unknown or expired (and then forgotten). */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    const key = sha256(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (now - session.lastSeenAt > this.limits.idleMs || now - session.createdAt > this.limits.maxMs) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  end(id: string | undefined): void {
    if (id !== undefined && SESSION_ID.test(id)) this.sessions.delete(sha256(id));
  }
}

/** Whether a form's CSRF token is the session's (constant time). */
export function csrfMatches(session: Session, given: string | undefined): boolean {
  if (given === undefined || given.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(session.csrf));
}

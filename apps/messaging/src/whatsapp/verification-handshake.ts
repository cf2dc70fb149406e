/**
 * The WhatsApp Cloud API's webhook verification: Meta calls `GET <webhook>?hub.mode=subscribe&hub.verify_token=…&
 * hub.challenge=…` when the webhook is registered, and expects the challenge back as text when the verify token is
 * the one we gave it. Pure: the route answers what this decides.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Longest query string read, and longest verify token and challenge taken. */
export const MAX_HANDSHAKE_QUERY_CHARS = 2_048;
export const MAX_VERIFY_TOKEN_CHARS = 256;
export const MAX_CHALLENGE_CHARS = 256;

/** Meta's challenge is a number; anything printable without markup is taken, so the echo cannot carry HTML. */
const CHALLENGE = /^[A-Za-z0-9._~-]+$/;

export type HandshakeAnswer = { ok: true; challenge: string } | { ok: false; why: string };

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Compares in time that depends on neither value (both hashed to the same length first). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * Whether a verification request (its raw query string, without the `?`) is answered with its challenge. `why` says
 * which rule refused it, never echoing what was sent. No verify token configured: every request is refused.
 */
export function checkVerificationHandshake(query: string, verifyToken: string | undefined): HandshakeAnswer {
  if (query.length > MAX_HANDSHAKE_QUERY_CHARS) return { ok: false, why: 'query too long' };
  const params = new URLSearchParams(query);
  const one = (name: string): string | undefined => {
    const values = params.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };
  const mode = one('hub.mode');
  const token = one('hub.verify_token');
  const challenge = one('hub.challenge');
  if (mode !== 'subscribe') return { ok: false, why: 'hub.mode must be subscribe, once' };
  if (token === undefined || token.length === 0 || token.length > MAX_VERIFY_TOKEN_CHARS)
    return {
      ok: false,
      why: `hub.verify_token must be given once, at most ${MAX_VERIFY_TOKEN_CHARS} characters`,
    };
  if (challenge === undefined || challenge.length > MAX_CHALLENGE_CHARS || !CHALLENGE.test(challenge))
    return {
      ok: false,
      why: `hub.challenge must be given once, at most ${MAX_CHALLENGE_CHARS} letters, digits or ._~-`,
    };
  if (verifyToken === undefined) return { ok: false, why: 'WHATSAPP_VERIFY_TOKEN is not set' };
  if (!sameSecret(token, verifyToken)) return { ok: false, why: 'hub.verify_token does not match' };
  return { ok: true, challenge };
}

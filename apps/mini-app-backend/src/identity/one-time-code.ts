/**
 * One-time codes: six digits from the CSPRNG, valid ten minutes, single use, stored only as HMAC-SHA256 under
 * MINIAPP_OTP_KEY (a leaked table does not give the codes away, and a key held apart from the database is needed
 * to test guesses offline). Pure: no I/O.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_VALID_MS = 10 * 60_000;
export const CODE_PATTERN = /^\d{6}$/;

export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Bound to the session, so a code's HMAC is no use for another session. */
export function codeHmac(key: string, sessionRef: string, code: string): string {
  return createHmac('sha256', key).update(`${sessionRef}:${code}`).digest('hex');
}

/** Constant-time comparison of two hex HMACs of the same length. */
export function sameHmac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** A customer's input as a code: spaces and dashes people type are dropped; anything else must be six digits. */
export function normalizeCode(input: string): string | undefined {
  if (input.length > 32) return undefined;
  const compact = input.replace(/[\s-]/g, '');
  return CODE_PATTERN.test(compact) ? compact : undefined;
}

/**
 * The link token as messaging mints it: 32 random bytes, base64url without padding (43 characters). The mini-app
 * never stores or logs it: it hashes what the customer presents and looks the hash up.
 */
import { createHash } from 'node:crypto';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function isLinkToken(text: string): boolean {
  return TOKEN.test(text);
}

/** Hex SHA-256 of the token, as messaging's and the mini-app's `link` tables key it. */
export function linkTokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What may be said about a link in an audit event or a log: the first 12 hex digits of its hash, never the token. */
export const hashPrefix = (tokenSha256: string): string => tokenSha256.slice(0, 12);

/**
 * Mini-app links. Messaging mints an opaque token per send (256 random bits, base64url), puts
 * `<MINIAPP_BASE_URL>/l/<token>` in the message and stores only the token's SHA-256 in the `link` table with the case,
 * the outreach, the purpose and the expiry. The token itself is in the message and nowhere else: the mini-app, which
 * receives it, verifies it by hashing it and reading this table.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Bytes of randomness per token: 256 bits. */
export const LINK_TOKEN_BYTES = 32;

export interface MintedLink {
  /** Goes into the message only; never stored or logged. */
  token: string;
  /** Hex SHA-256 of the token: what the `link` table keeps. */
  tokenSha256: string;
}

export function mintLinkToken(random: (size: number) => Buffer = randomBytes): MintedLink {
  const token = random(LINK_TOKEN_BYTES).toString('base64url');
  return { token, tokenSha256: linkTokenSha256(token) };
}

export function linkTokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The link the message carries; `base` has no trailing slash (the config strips it). */
export const miniAppLinkUrl = (base: string, token: string): string => `${base}/l/${token}`;

/** The one-click unsubscribe URL of an email (List-Unsubscribe), served by the mini-app with the same token. */
export const unsubscribeUrl = (base: string, token: string): string => `${base}/l/${token}/unsubscribe`;

import { createHash } from 'node:crypto';
import {
  LINK_TOKEN_BYTES,
  linkTokenSha256,
  miniAppLinkUrl,
  mintLinkToken,
  unsubscribeUrl,
} from './mini-app-link';

describe('mini-app links', () => {
  it('a token carries at least 128 random bits, URL-safe, and only its SHA-256 is what is kept', () => {
    const minted = mintLinkToken();
    expect(LINK_TOKEN_BYTES * 8).toBeGreaterThanOrEqual(128);
    expect(minted.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(minted.token, 'base64url')).toHaveLength(LINK_TOKEN_BYTES);
    expect(minted.tokenSha256).toBe(createHash('sha256').update(minted.token).digest('hex'));
    expect(minted.tokenSha256).not.toContain(minted.token);
  });

  it('tokens come from the random source given, and differ each time', () => {
    const fixed = mintLinkToken((size) => Buffer.alloc(size, 7));
    expect(fixed.token).toBe(Buffer.alloc(32, 7).toString('base64url'));
    expect(linkTokenSha256(fixed.token)).toBe(fixed.tokenSha256);
    const many = new Set(Array.from({ length: 100 }, () => mintLinkToken().token));
    expect(many.size).toBe(100);
  });

  it('the link is <base>/l/<token>; the unsubscribe URL is beside it', () => {
    expect(miniAppLinkUrl('https://app.example', 'abc')).toBe('https://app.example/l/abc');
    expect(unsubscribeUrl('https://app.example', 'abc')).toBe('https://app.example/l/abc/unsubscribe');
  });
});

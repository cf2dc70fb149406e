import type { Request } from 'express';
import { fromOwnOrigin } from './http/request-context';
import { checksOf, methodOf, requiredMethod, satisfies } from './identity/identity-method';
import { codeHmac, newCode, normalizeCode, sameHmac } from './identity/one-time-code';
import { factsProblem, linkProblem } from './links/link-events.consumer';
import { isLinkToken, linkTokenSha256 } from './links/link-token';
import { Catalog } from './pages/i18n';
import { contentSecurityPolicy } from '@closeout/platform';
import { sessionCookie, sessionIdFrom } from './sessions/session-store';

describe('identity methods', () => {
  it('asks up front for everything the workflow and its actions need', () => {
    expect(requiredMethod('OTP', ['KNOWN_FACT'])).toBe('OTP_AND_KNOWN_FACT');
    expect(requiredMethod('NONE', [])).toBe('NONE');
    expect(requiredMethod('KNOWN_FACT', ['KNOWN_FACT', 'NONE'])).toBe('KNOWN_FACT');
  });

  it('is satisfied only by every check the method names', () => {
    expect(satisfies({ otp: true, knownFact: false }, 'OTP_AND_KNOWN_FACT')).toBe(false);
    expect(satisfies({ otp: true, knownFact: true }, 'OTP_AND_KNOWN_FACT')).toBe(true);
    expect(satisfies({ otp: false, knownFact: false }, 'NONE')).toBe(true);
    expect(methodOf(checksOf('KNOWN_FACT'))).toBe('KNOWN_FACT');
  });
});

describe('one-time codes', () => {
  it('are six digits, hashed per session, compared in constant time', () => {
    for (let i = 0; i < 200; i++) expect(newCode()).toMatch(/^\d{6}$/);
    const a = codeHmac('k'.repeat(32), 'ses_1', '123456');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(sameHmac(a, codeHmac('k'.repeat(32), 'ses_1', '123456'))).toBe(true);
    expect(sameHmac(a, codeHmac('k'.repeat(32), 'ses_2', '123456'))).toBe(false);
    expect(sameHmac(a, '')).toBe(false);
  });

  it('take what people type, and refuse anything else', () => {
    expect(normalizeCode(' 123 456 ')).toBe('123456');
    expect(normalizeCode('123-456')).toBe('123456');
    expect(normalizeCode('12345')).toBeUndefined();
    expect(normalizeCode('12345a')).toBeUndefined();
    expect(normalizeCode('1'.repeat(1000))).toBeUndefined();
  });
});

describe('links', () => {
  it('are 43 base64url characters, hashed as messaging hashes them', () => {
    const token = 'A'.repeat(43);
    expect(isLinkToken(token)).toBe(true);
    expect(isLinkToken(`${token}A`)).toBe(false);
    expect(isLinkToken('A'.repeat(42) + '=')).toBe(false);
    expect(linkTokenSha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('in an event are checked before they are recorded, naming the field', () => {
    const link = {
      tokenSha256: 'a'.repeat(64),
      customerId: 'c',
      workflowId: 'w',
      purpose: 'p',
      expiresAt: 1,
      locale: 'en-GB',
    };
    expect(linkProblem(link)).toBeUndefined();
    expect(linkProblem({ ...link, tokenSha256: 'xyz' })).toMatch(/^link.tokenSha256/);
    expect(linkProblem({ ...link, locale: '<script>' })).toMatch(/^link.locale/);
    const fact = {
      name: 'dateOfBirth',
      algorithm: 'scrypt:N=16384,r=8,p=1,len=32',
      salt: 'c2FsdA==',
      hash: 'aGFzaA==',
    };
    expect(factsProblem({ eventId: 'e', occurredAt: 1, customerId: 'c', facts: [fact] })).toBeUndefined();
    expect(
      factsProblem({ eventId: 'e', occurredAt: 1, customerId: 'c', facts: [{ ...fact, name: 'ssn' }] }),
    ).toMatch(/^facts\[0\].name/);
  });
});

describe('the session cookie', () => {
  it('is a __Host- cookie, HttpOnly, Secure, SameSite=Strict, Path=/', () => {
    expect(sessionCookie('x'.repeat(43))).toBe(
      `__Host-closeout_session=${'x'.repeat(43)}; Path=/; Secure; HttpOnly; SameSite=Strict`,
    );
    expect(sessionIdFrom(`a=1; __Host-closeout_session=${'y'.repeat(43)}; b=2`)).toBe('y'.repeat(43));
    expect(sessionIdFrom('a=1')).toBeUndefined();
  });
});

describe('pages', () => {
  it('have a CSP with no third party but the card processor for forms', () => {
    const csp = contentSecurityPolicy('http://127.0.0.1:8097');
    expect(csp).toContain("form-action 'self' http://127.0.0.1:8097");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(contentSecurityPolicy()).toContain("form-action 'self';");
  });

  it('speak en-GB for the locales of the messages, with the forms strings merged', () => {
    const catalog = new Catalog().add('en-GB', { 'card.title': 'Your card' });
    expect(catalog.resolve('en')).toBe('en-GB');
    expect(catalog.resolve('fr-FR')).toBe('en-GB');
    const t = catalog.translator('en-GB');
    expect(t('card.title')).toBe('Your card');
    expect(t('rate.body', { seconds: 7 })).toBe('Wait 7 seconds and try again.');
    expect(t('no.such.key')).toBe('no.such.key');
  });
});

describe('a POST from our own pages', () => {
  const origin = 'https://app.closeout.example';
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as Request;

  it('is one whose Origin is ours, or whose Referer is on it when there is no Origin', () => {
    expect(fromOwnOrigin(req({ origin }), origin)).toBe(true);
    expect(fromOwnOrigin(req({ referer: `${origin}/l/abc` }), origin)).toBe(true);
    expect(fromOwnOrigin(req({ origin: 'https://evil.example' }), origin)).toBe(false);
    expect(fromOwnOrigin(req({ referer: 'https://app.closeout.example.evil.example/' }), origin)).toBe(false);
    expect(fromOwnOrigin(req({}), origin)).toBe(false);
  });

  it("takes Origin null (a no-referrer page's own form) only with the browser's Sec-Fetch-Site same-origin", () => {
    expect(fromOwnOrigin(req({ origin: 'null', 'sec-fetch-site': 'same-origin' }), origin)).toBe(true);
    expect(fromOwnOrigin(req({ origin: 'null', 'sec-fetch-site': 'cross-site' }), origin)).toBe(false);
    expect(fromOwnOrigin(req({ origin: 'null', 'sec-fetch-site': 'same-site' }), origin)).toBe(false);
    expect(fromOwnOrigin(req({ origin: 'null' }), origin)).toBe(false);
  });
});

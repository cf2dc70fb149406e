/**
 * An email's List-Unsubscribe link on the public link host, the mini-app: GET changes nothing, a one-click POST
 * (RFC 8058, from a mail provider's server: no Origin, no cookie) has messaging record the opt-out with source
 * list-unsubscribe, for a link used or not; a malformed token reaches nobody.
 */
import { randomBytes } from 'node:crypto';
import { linkTokenSha256 } from './link-token';
import { startMiniAppUnderTest, type MiniAppUnderTest } from '../test-support/miniapp-it';

const run = randomBytes(4).toString('hex');

describe('one-click unsubscribe on the link host', () => {
  let mini: MiniAppUnderTest;

  beforeAll(async () => {
    mini = await startMiniAppUnderTest(`unsub-${run}`);
  });
  afterAll(async () => {
    await mini?.close();
  });

  const optOutCalls = () => mini.messaging.calls.filter((c) => c.path.endsWith('/opt-out'));

  it('shows a page on GET and unsubscribes nothing', async () => {
    const { token } = await mini.sentLink();
    const res = await fetch(`${mini.base}/l/${token}/unsubscribe`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Stop these emails');
    expect(html).toContain('<form method="post"');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(optOutCalls().filter((c) => c.path.includes(linkTokenSha256(token)))).toEqual([]);
  });

  it("takes a mail client's one-click POST without Origin or cookie, even after the link was used", async () => {
    const { token } = await mini.sentLink();
    const opened = await fetch(`${mini.base}/l/${token}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: mini.base },
    });
    expect(opened.status).toBe(303);
    const res = await fetch(`${mini.base}/l/${token}/unsubscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed');
    const calls = optOutCalls().filter(
      (c) => c.path === `/internal/v1/links/${linkTokenSha256(token)}/opt-out`,
    );
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]!.body)).toEqual({ source: 'list-unsubscribe' });
  });

  it('refuses a malformed token with 404 and calls nobody', async () => {
    const before = optOutCalls().length;
    const res = await fetch(`${mini.base}/l/not-a-token/unsubscribe`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(optOutCalls()).toHaveLength(before);
  });
});

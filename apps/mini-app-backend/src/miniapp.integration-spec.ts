/**
 * The mini-app against the devstack's PostgreSQL, Kafka and registry, with local stand-ins for the orchestrator's and
 * messaging's APIs speaking the agreed contracts: the link opens once under 100 parallel opens, refusals are pages
 * and audit events, the session cookie and CSP are as required, one-time codes lock at five wrong tries with
 * identity.locked published, CSRF-less posts are refused, and a double submit publishes one miniapp.action.
 */
import { randomUUID } from 'node:crypto';
import { hashKnownFact } from '@closeout/privacy';
import { LinkEventsConsumer } from './links/link-events.consumer';
import { linkTokenSha256 } from './links/link-token';
import {
  Customer,
  eligibleFor,
  startMiniAppUnderTest,
  type MiniAppUnderTest,
} from './test-support/miniapp-it';

jest.setTimeout(120_000);

const run = randomUUID().slice(0, 8);
let mini: MiniAppUnderTest;

beforeAll(async () => {
  mini = await startMiniAppUnderTest(run, {
    // The 100 parallel opens all reach the database: the limits are not what keeps them to one session.
    MINIAPP_RATE_LIMIT_PER_IP: '100000',
    MINIAPP_RATE_LIMIT_PER_LINK: '1000',
    MINIAPP_RATE_LIMIT_PER_CUSTOMER: '1000',
  });
});

afterAll(async () => {
  await mini?.close();
});

interface OutboxRow {
  topic: string;
  value: Record<string, unknown>;
}
const outbox = async (): Promise<OutboxRow[]> => mini.db.query(`SELECT topic, value FROM outbox ORDER BY id`);
const audits = async (action: string): Promise<Array<Record<string, unknown>>> =>
  (await outbox())
    .filter((r) => r.topic === 'audit.event.v1' && r.value['action'] === action)
    .map((r) => r.value);
const linkStatus = async (token: string): Promise<string> =>
  (
    (await mini.db.query(`SELECT status FROM link WHERE token_sha256 = $1`, [
      linkTokenSha256(token),
    ])) as Array<{ status: string }>
  )[0]!.status;

/** Opens a link as a customer: GET the page, POST Continue; the customer then holds the session cookie. */
async function opened(
  identity: 'NONE' | 'OTP' | 'KNOWN_FACT' = 'NONE',
): Promise<{ customer: Customer; caseId: string; customerId: string; token: string }> {
  const { token, caseId, customerId } = await mini.sentLink();
  mini.eligibility.set(caseId, eligibleFor(caseId, identity));
  const customer = new Customer(mini.base);
  expect((await customer.get(`/l/${token}`)).status).toBe(200);
  expect((await customer.post(`/l/${token}`, {})).status).toBe(303);
  return { customer, caseId, customerId, token };
}

describe('the link', () => {
  it('opened by 100 parallel POSTs gives exactly one session', async () => {
    const { token } = await mini.sentLink();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(`${mini.base}/l/${token}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { origin: mini.base },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    const sessions = answers.filter((a) => a.status === 303 && a.headers.get('set-cookie')).length;
    const [{ count }] = (await mini.db.query(
      `SELECT count(*)::int AS count FROM session WHERE token_sha256 = $1`,
      [linkTokenSha256(token)],
    )) as Array<{ count: number }>;
    console.log(
      `100 parallel opens of one link: ${sessions} session(s) (303), ${statuses.filter((s) => s === 410).length} refused as used (410); sessions stored: ${count}`,
    );
    expect(sessions).toBe(1);
    expect(count).toBe(1);
    expect(statuses.filter((s) => s === 410)).toHaveLength(99);
  });

  it('is not consumed by GET (mail scanners), and the page has the strict CSP', async () => {
    const { token } = await mini.sentLink();
    const customer = new Customer(mini.base);
    const first = await customer.get(`/l/${token}`);
    const second = await customer.get(`/l/${token}`);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await linkStatus(token)).toBe('OPEN');
    expect(first.body).toContain('<form method="post"');
    expect(first.body).toContain('<html lang="en-GB">');
    const csp = first.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ])
      expect(csp).toContain(directive);
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('cache-control')).toBe('no-store');
  });

  it('opened after its page (the page kept its case, not its state): one session of 20 parallel Continues; a link revoked meanwhile is refused', async () => {
    const { token, caseId } = await mini.sentLink();
    const customer = new Customer(mini.base);
    expect((await customer.get(`/l/${token}`)).status).toBe(200);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${mini.base}/l/${token}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { origin: mini.base },
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 303)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 410)).toHaveLength(19);
    const sessions: Array<{ ref: string; case_id: string; locale: string }> = await mini.db.query(
      `SELECT ref, case_id, locale FROM session WHERE token_sha256 = $1`,
      [linkTokenSha256(token)],
    );
    expect(sessions).toEqual([{ ref: expect.any(String), case_id: caseId, locale: 'en-GB' }]);
    const openedAudit = (await audits('miniapp.link-opened')).filter((a) => a['caseId'] === caseId);
    expect(openedAudit).toHaveLength(1);
    expect(openedAudit[0]!['actor']).toMatchObject({ id: sessions[0]!.ref });

    // The page was shown while the link was open; it is revoked before the Continue: the open itself decides.
    const revoked = await mini.sentLink();
    expect((await new Customer(mini.base).get(`/l/${revoked.token}`)).status).toBe(200);
    await mini.db.query(
      `UPDATE link SET status = 'REVOKED', revoked_at = now(), revoked_reason = 'superseded' WHERE token_sha256 = $1`,
      [linkTokenSha256(revoked.token)],
    );
    expect((await new Customer(mini.base).post(`/l/${revoked.token}`, {})).status).toBe(410);
    const refusals = (await audits('miniapp.link-refused')).filter((a) => a['caseId'] === revoked.caseId);
    expect(refusals.map((a) => (a['references'] as Record<string, string>)['refusal'])).toEqual(['revoked']);
    const none: unknown[] = await mini.db.query(`SELECT 1 FROM session WHERE token_sha256 = $1`, [
      linkTokenSha256(revoked.token),
    ]);
    expect(none).toHaveLength(0);
  });

  it('gives a __Host- session cookie: HttpOnly, Secure, SameSite=Strict, Path=/, and 303s to /s/verify', async () => {
    const { token } = await mini.sentLink();
    const customer = new Customer(mini.base);
    const res = await customer.post(`/l/${token}`, {});
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/s/verify');
    const cookie = customer.setCookie ?? '';
    expect(cookie).toMatch(/^__Host-closeout_session=[A-Za-z0-9_-]{43}; /);
    for (const flag of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict'])
      expect(cookie.split('; ')).toContain(flag);
    expect(cookie).not.toMatch(/Domain=/i);
    // Only the session id's hash is stored.
    const id = cookie.split(';')[0]!.split('=')[1]!;
    const stored: unknown[] = await mini.db.query(`SELECT 1 FROM session WHERE id_sha256 = $1`, [id]);
    expect(stored).toHaveLength(0);
  });

  it('refuses a cross-origin POST (no session yet: the origin check is the CSRF defence) and consumes nothing', async () => {
    const { token } = await mini.sentLink();
    const res = await new Customer(mini.base).post(`/l/${token}`, {}, 'https://evil.example');
    expect(res.status).toBe(403);
    expect(await linkStatus(token)).toBe('OPEN');
  });

  it('refuses used, expired, revoked, tampered and malformed links with a page and an audit event without the token', async () => {
    const used = await mini.sentLink();
    await new Customer(mini.base).post(`/l/${used.token}`, {});
    const expired = await mini.sentLink({ expiresInMs: -60_000 });
    const older = await mini.sentLink({ caseId: `case-${run}-revoked` });
    await new Promise((r) => setTimeout(r, 5));
    await mini.sentLink({ caseId: `case-${run}-revoked` }); // a newer message for the case revokes the older link
    const valid = await mini.sentLink();
    const tampered = `${valid.token.slice(0, 42)}${valid.token.endsWith('A') ? 'B' : 'A'}`;
    const cases: Array<[string, string, number, string]> = [
      ['used', used.token, 410, 'has already been used'],
      ['expired', expired.token, 410, 'has expired'],
      ['revoked', older.token, 410, 'no longer works'],
      ['unknown', tampered, 404, 'does not work'],
      ['malformed', 'not-a-token', 404, 'does not work'],
    ];
    for (const [refusal, token, status, text] of cases) {
      for (const method of ['GET', 'POST'] as const) {
        const c = new Customer(mini.base);
        const res = method === 'GET' ? await c.get(`/l/${token}`) : await c.post(`/l/${token}`, {});
        expect([refusal, method, res.status]).toEqual([refusal, method, status]);
        expect(res.body).toContain(text);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
    const refused = await audits('miniapp.link-refused');
    for (const [refusal] of cases)
      expect(
        refused.filter((a) => (a['references'] as Record<string, string>)['refusal'] === refusal).length,
      ).toBeGreaterThanOrEqual(2);
    const everything = JSON.stringify(await outbox());
    for (const [, token] of cases) if (token.length === 43) expect(everything).not.toContain(token);
    expect(await linkStatus(valid.token)).toBe('OPEN');
  });
});

describe('identity', () => {
  it('locks the session at the fifth wrong one-time code, revokes the case links and publishes identity.locked', async () => {
    const { customer, caseId, token } = await opened('OTP');
    const verify = await customer.get('/s/verify');
    expect(verify.status).toBe(200);
    const csrf = Customer.csrfOf(verify.body);
    expect((await customer.post('/s/verify/send-code', { _csrf: csrf })).status).toBe(200);
    const sent = mini.codes.get(linkTokenSha256(token)) ?? [];
    expect(sent).toHaveLength(1);
    const right = sent[0]!;
    const wrong = right === '000000' ? '111111' : '000000';
    // A code not of six digits is not a try.
    expect((await customer.post('/s/verify/code', { _csrf: csrf, code: '12ab' })).status).toBe(422);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await customer.post('/s/verify/code', { _csrf: csrf, code: wrong })).status);
    expect(statuses).toEqual([422, 422, 422, 422, 403]);
    // The right code after the lock is refused too.
    expect((await customer.post('/s/verify/code', { _csrf: csrf, code: right })).status).toBe(403);
    const locked = (await outbox()).filter(
      (r) => r.topic === 'miniapp.action.v1' && r.value['caseId'] === caseId,
    );
    expect(locked).toHaveLength(1);
    expect(locked[0]!.value).toMatchObject({
      action: 'identity.locked',
      parameters: { reason: 'otp-attempts' },
      identityMethod: 'NONE',
    });
    const open: unknown[] = await mini.db.query(`SELECT 1 FROM link WHERE case_id = $1 AND status = 'OPEN'`, [
      caseId,
    ]);
    expect(open).toHaveLength(0);
    // The code is in no event.
    expect(JSON.stringify(await outbox())).not.toContain(`"${right}"`);
  });

  it('verifies by a one-time code, then shows the actions', async () => {
    const { customer, token } = await opened('OTP');
    const before = await customer.get('/s/verify');
    // No code live yet: the page offers to send one, no code field.
    expect(before.body).not.toContain('action="/s/verify/code"');
    const csrf = Customer.csrfOf(before.body);
    await customer.post('/s/verify/send-code', { _csrf: csrf });
    // A code is live (read with the session): the page asks for it again.
    expect((await customer.get('/s/verify')).body).toContain('action="/s/verify/code"');
    const code = (mini.codes.get(linkTokenSha256(token)) ?? [])[0]!;
    const res = await customer.post('/s/verify/code', { _csrf: csrf, code });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/s/verify');
    expect((await customer.get('/s/verify')).headers.get('location')).toBe('/s/actions');
    const actions = await customer.get('/s/actions');
    expect(actions.status).toBe(200);
    expect(actions.body).toContain('Replace your card');
  });

  it('checks known facts: a format error names the field and is not a try; five wrong answers lock', async () => {
    const customerId = `cust-${run}-facts`;
    await mini.app.get(LinkEventsConsumer).recordCustomerFacts([
      {
        eventId: `cf-${randomUUID()}`,
        occurredAt: Date.now(),
        customerId,
        facts: [
          await hashKnownFact('dateOfBirth', '1985-03-27'),
          await hashKnownFact('postalCode', 'SW1A 1AA'),
        ],
      },
    ]);
    const { token, caseId } = await mini.sentLink({ customerId });
    mini.eligibility.set(caseId, eligibleFor(caseId, 'KNOWN_FACT'));
    const customer = new Customer(mini.base);
    await customer.post(`/l/${token}`, {});
    const page = await customer.get('/s/verify');
    expect(page.body).toContain('for="dateOfBirth"');
    const csrf = Customer.csrfOf(page.body);
    const badFormat = await customer.post('/s/verify/facts', {
      _csrf: csrf,
      dateOfBirth: '31/02/1985',
      postalCode: 'SW1A 1AA',
    });
    expect(badFormat.status).toBe(422);
    expect(badFormat.body).toContain('href="#dateOfBirth"');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (
          await customer.post('/s/verify/facts', {
            _csrf: csrf,
            dateOfBirth: '27/03/1985',
            postalCode: 'E1 6AN',
          })
        ).status,
      );
    expect(statuses).toEqual([422, 422, 422, 422, 403]);
    const locked = (await outbox()).filter(
      (r) => r.topic === 'miniapp.action.v1' && r.value['caseId'] === caseId,
    );
    expect(locked.map((r) => (r.value['parameters'] as Record<string, string>)['reason'])).toEqual([
      'known-fact-attempts',
    ]);
  });
});

describe('forms', () => {
  it('refuses a POST without the CSRF token (403, audited) and publishes nothing', async () => {
    const { customer, caseId } = await opened('NONE');
    const res = await customer.post('/s/actions/decline', { reason: 'no token' });
    expect(res.status).toBe(403);
    expect((await audits('miniapp.csrf-refused')).some((a) => a['caseId'] === caseId)).toBe(true);
    expect(
      (await outbox()).filter((r) => r.topic === 'miniapp.action.v1' && r.value['caseId'] === caseId),
    ).toHaveLength(0);
  });

  it('publishes one miniapp.action for a double submit, with its consent and audit event', async () => {
    const { customer, caseId } = await opened('NONE');
    const verify = await customer.get('/s/verify');
    expect(verify.headers.get('location')).toBe('/s/actions');
    const csrf = Customer.csrfOf((await customer.get('/s/actions')).body);
    const twice = await Promise.all([
      customer.post('/s/actions/decline', { _csrf: csrf, reason: 'I will call' }),
      customer.post('/s/actions/decline', { _csrf: csrf, reason: 'I will call' }),
    ]);
    const again = await customer.post('/s/actions/decline', { _csrf: csrf, reason: 'I will call' });
    expect([...twice, again].map((r) => r.status)).toEqual([303, 303, 303]);
    const published = (await outbox()).filter(
      (r) => r.topic === 'miniapp.action.v1' && r.value['caseId'] === caseId,
    );
    console.log(`double submit (2 parallel + 1 retried POST): ${published.length} miniapp.action`);
    expect(published).toHaveLength(1);
    expect(published[0]!.value).toMatchObject({
      action: 'decline',
      actionId: 'decline',
      idempotencyKey: `act-${caseId}-decline`,
      identityMethod: 'NONE',
      parameters: { reason: 'I will call' },
    });
    const consentRef = published[0]!.value['consentRef'] as string;
    const consent: Array<{ text_version: string; text_sha256: string }> = await mini.db.query(
      `SELECT text_version, text_sha256 FROM consent WHERE ref = $1`,
      [consentRef],
    );
    expect(consent[0]).toMatchObject({ text_version: 'miniapp.terms.v1' });
    expect(consent[0]!.text_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await audits('miniapp.decline')).filter((a) => a['caseId'] === caseId)).toHaveLength(1);
    expect((await customer.get('/s/actions')).headers.get('location')).toBe('/s/done');
  });

  it('refuses a decline reason over 500 characters naming the field (422)', async () => {
    const { customer } = await opened('NONE');
    const csrf = Customer.csrfOf((await customer.get('/s/actions')).body);
    const res = await customer.post('/s/actions/decline', { _csrf: csrf, reason: 'x'.repeat(501) });
    expect(res.status).toBe(422);
    expect(res.body).toContain('href="#reason"');
  });

  it('ends a session without a cookie (401 page), and serves the stylesheet', async () => {
    const res = await new Customer(mini.base).get('/s/actions');
    expect(res.status).toBe(401);
    const css = await fetch(`${mini.base}/assets/app.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});

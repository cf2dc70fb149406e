/**
 * TEST DOUBLE's own tests — the simulated card processor, spoken to over real HTTP. Opens local sockets, hence an
 * integration spec; it needs none of the devstack services itself.
 */
import { startCardProcessor, type CardProcessor, type CardProcessorOptions } from '.';

const API_KEY = 'processor-test-key-0123456789';
const MERCHANT = 'http://127.0.0.1:3904';
const RETURN = `${MERCHANT}/s/actions/update-card?via=processor`;
const PAN = '4242424242424242';

const started: CardProcessor[] = [];
const lines: string[] = [];
async function start(options: Partial<CardProcessorOptions> = {}): Promise<CardProcessor> {
  const sim = await startCardProcessor({
    apiKey: API_KEY,
    returnOrigins: [MERCHANT],
    now: () => new Date('2026-03-15T10:00:00Z'),
    log: (line) => lines.push(line),
    ...options,
  });
  started.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  lines.length = 0;
});

const post = (sim: CardProcessor, form: Record<string, string>) =>
  fetch(`${sim.url}/hosted/card`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
const lookup = (sim: CardProcessor, token: string, key = API_KEY) =>
  fetch(`${sim.url}/v1/tokens/${token}`, { headers: { Authorization: `Bearer ${key}` } });

const card = {
  state: 'st4te.abc',
  return: RETURN,
  cardNumber: '4242 4242 4242 4242',
  expiryMonth: '12',
  expiryYear: '29',
  cvc: '123',
};

describe('simulated card processor (real HTTP)', () => {
  it('serves its page under its own CSP, tokenizes, answers 303 to the return URL, and the lookup echoes the token', async () => {
    const sim = await start();
    const page = await fetch(`${sim.url}/hosted/card?state=st4te.abc&return=${encodeURIComponent(RETURN)}`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`form-action 'self' ${MERCHANT}`);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<label for="cardNumber">');
    expect(html).toContain('name="state" value="st4te.abc"');

    const answer = await post(sim, card);
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(`${MERCHANT}/s/actions/update-card`);
    expect(location.searchParams.get('via')).toBe('processor');
    expect(location.searchParams.get('state')).toBe('st4te.abc');
    const token = location.searchParams.get('token')!;
    expect(token).toMatch(/^tok_[A-Za-z0-9]{24}$/);

    const looked = await lookup(sim, token);
    expect(looked.status).toBe(200);
    expect(await looked.json()).toEqual({
      token,
      kind: 'card',
      brand: 'visa',
      last4: '4242',
      expiryMonth: 12,
      expiryYear: 2029,
    });
    // Only token, brand, last4 and expiry are kept or logged: never the PAN or the CVC.
    const kept = JSON.stringify(sim.issued()) + lines.join('\n');
    expect(kept).not.toContain(PAN);
    expect(kept).not.toContain('"123"');
    expect(sim.issued()).toHaveLength(1);
  });

  it('tokenizes a bank account as btok_ keeping only its last four digits', async () => {
    const sim = await start();
    const answer = await post(sim, {
      state: 's1',
      return: RETURN,
      kind: 'bank-account',
      sortCode: '40-47-84',
      accountNumber: '12345678',
    });
    expect(answer.status).toBe(303);
    const token = new URL(answer.headers.get('location')!).searchParams.get('token')!;
    expect(token).toMatch(/^btok_[A-Za-z0-9]{24}$/);
    expect(await (await lookup(sim, token)).json()).toEqual({ token, kind: 'bank-account', last4: '5678' });
    expect(JSON.stringify(sim.issued())).not.toContain('12345678');
  });

  it('names the field on its page for a bad check digit, an expired card, a short CVC and a declined card', async () => {
    const sim = await start();
    const bad = await post(sim, {
      ...card,
      cardNumber: '4242424242424241',
      expiryYear: '25',
      expiryMonth: '1',
      cvc: '12',
    });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Card number: this is not a valid card number (check digit)');
    expect(html).toContain('Expiry: the card has expired');
    expect(html).toContain('Security code: enter 3 or 4 digits');
    expect(html).toContain('aria-describedby="cardNumber-hint cardNumber-error"');
    expect(html).not.toContain('4242424242424241');

    const declined = await post(sim, { ...card, cardNumber: '4000000000000002' });
    expect(declined.status).toBe(422);
    expect(await declined.text()).toContain('this card was declined');
    expect(sim.issued()).toHaveLength(0);
    expect(sim.stats()).toMatchObject({ declined: 1, refusedOnPage: 2, tokensIssued: 0 });
  });

  it('refuses a return URL on an unknown origin, a state out of bounds, and an oversized form', async () => {
    const sim = await start();
    const foreign = await fetch(
      `${sim.url}/hosted/card?state=s&return=${encodeURIComponent('https://evil.example/x')}`,
    );
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toContain('return: must be on a merchant origin');
    const longState = await fetch(
      `${sim.url}/hosted/card?state=${'a'.repeat(129)}&return=${encodeURIComponent(RETURN)}`,
    );
    expect(longState.status).toBe(400);
    const huge = await post(sim, { ...card, cvc: 'x'.repeat(5000) });
    expect(huge.status).toBe(413);
    expect((await post(sim, { ...card, return: 'https://evil.example/' })).status).toBe(400);
    expect(sim.issued()).toHaveLength(0);
  });

  it('answers lookups only with the API key, 400 for a malformed token and 404 for an unknown one', async () => {
    const sim = await start();
    expect((await lookup(sim, `tok_${'a'.repeat(24)}`, 'wrong-key')).status).toBe(401);
    expect((await lookup(sim, 'tok_short')).status).toBe(400);
    expect((await lookup(sim, `tok_${'a'.repeat(24)}`)).status).toBe(404);
  });

  it('holds every answer back by the configured latency', async () => {
    const sim = await start({ latencyMs: 150 });
    const t0 = Date.now();
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(sim.faults()).toContainEqual({ mode: 'latency', latencyMs: 150 });
  });
});

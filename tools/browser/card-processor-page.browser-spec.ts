/**
 * The simulated card processor's hosted card page (tools/simulators/card-processor) in real chromium on a phone, as
 * the mini-app's customers will meet it: served from the processor's own origin, accessible (0 serious or critical
 * axe violations) and readable at 320 px, a test card typed in and submitted — with JavaScript on and off — and the
 * 303 back to the merchant's return page carrying the state and a token. The merchant's server never sees the card
 * number; errors are named on the processor's page.
 */
import type { Browser, Page } from 'playwright-core';
import { startCardProcessor, type CardProcessor } from '../simulators/card-processor';
import { expectAccessible, launchBrowser, narrowViewportCheck, newPhone, screenshot } from './browser';
import { accessiblePage, escapeHtml, servePages, type PageServer } from './test-pages';

const API_KEY = 'browser-spec-card-processor-key';
const TEST_CARD = '4242 4242 4242 4242';
const TEST_CARD_DIGITS = TEST_CARD.replace(/\s/g, '');
const expiryYear = String(new Date().getUTCFullYear() + 2);

describe('the card processor hosted page in chromium', () => {
  let browser: Browser;
  let merchant: PageServer;
  let processor: CardProcessor;

  beforeAll(async () => {
    // The merchant (the mini-app's role): its return page says what came back, and it records every request it gets.
    merchant = await servePages((req) => {
      const url = new URL(req.url, 'http://merchant');
      const token = url.searchParams.get('token') ?? '';
      return {
        body: accessiblePage(
          'Card details received',
          `<p>Reference <span id="state">${escapeHtml(url.searchParams.get('state') ?? '')}</span>.</p>
<p>Card token <span id="token">${escapeHtml(token)}</span>.</p>`,
        ),
      };
    });
    processor = await startCardProcessor({ apiKey: API_KEY, returnOrigins: [merchant.origin] });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await processor?.close();
    await merchant?.close();
  });

  const hostedUrl = (state: string) =>
    `${processor.url}/hosted/card?state=${state}&return=${encodeURIComponent(`${merchant.origin}/card-return`)}`;

  async function fillCard(page: Page, cardNumber: string): Promise<void> {
    await page.getByLabel('Card number').fill(cardNumber);
    await page.getByLabel('Expiry month (MM)').fill('12');
    await page.getByLabel('Expiry year (YY or YYYY)').fill(expiryYear);
    await page.getByLabel('Security code (CVC)').fill('123');
  }

  async function lookUp(token: string): Promise<unknown> {
    const res = await fetch(`${processor.url}/v1/tokens/${token}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(res.status).toBe(200);
    return res.json();
  }

  for (const javaScriptEnabled of [true, false]) {
    const name = `card processor page, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`;

    it(`${name}: accessible at 390 and 320 px; a test card comes back to the merchant as a token`, async () => {
      const phone = await newPhone(browser, { javaScriptEnabled });
      try {
        const page = await phone.newPage();
        const state = `browser-spec.${javaScriptEnabled ? 'js' : 'nojs'}`;
        const opened = await page.goto(hostedUrl(state));
        expect(opened?.status()).toBe(200);
        expect(new URL(page.url()).origin).toBe(processor.url);
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Enter your card details');
        await screenshot(page, name, 'opened');
        await expectAccessible(page);
        await narrowViewportCheck(page);

        await fillCard(page, TEST_CARD);
        await screenshot(page, name, 'card filled in');
        const requestsBefore = merchant.requests.length;
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.waitForURL((u) => u.origin === merchant.origin);

        const back = new URL(page.url());
        expect(back.pathname).toBe('/card-return');
        expect(back.searchParams.get('state')).toBe(state);
        const token = back.searchParams.get('token');
        expect(token).toMatch(/^tok_[A-Za-z0-9]{24}$/);
        expect(await page.locator('#token').textContent()).toBe(token);
        await screenshot(page, name, 'returned with token');
        await expectAccessible(page);

        // What the merchant keeps comes from the server-to-server lookup, not from the browser.
        expect(await lookUp(token!)).toEqual({
          token,
          kind: 'card',
          brand: 'visa',
          last4: '4242',
          expiryMonth: 12,
          expiryYear: Number(expiryYear),
        });
        // The card number went to the processor only: nothing the merchant received carries it.
        const received = merchant.requests.slice(requestsBefore);
        expect(received.filter((r) => r.url !== '/favicon.ico')).toHaveLength(1);
        expect(received[0]).toMatchObject({ method: 'GET', body: '' });
        expect(received[0]!.headers['referer']).toBeUndefined();
        expect(JSON.stringify(received)).not.toContain(TEST_CARD_DIGITS);
        expect(JSON.stringify(received)).not.toContain('4242+4242');
      } finally {
        await phone.close();
      }
    });
  }

  it('names the errors on the page (accessible, linked to the fields) and declines a card ending 0002', async () => {
    const name = 'card processor page, errors';
    const phone = await newPhone(browser);
    try {
      const page = await phone.newPage();
      await page.goto(hostedUrl('browser-spec.errors'));
      await fillCard(page, '4242 4242 4242 4241');
      await page.getByLabel('Security code (CVC)').fill('12');
      const refused = page.waitForResponse((r) => r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Continue' }).click();
      expect((await refused).status()).toBe(422);
      await page.waitForLoadState();

      const alert = page.getByRole('alert');
      expect(await alert.locator('li').allTextContents()).toEqual([
        'Card number: this is not a valid card number (check digit)',
        'Security code: enter 3 or 4 digits',
      ]);
      expect(await page.getByLabel('Card number').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel('Card number').inputValue()).toBe('');
      await screenshot(page, name, 'errors named');
      await expectAccessible(page);
      await narrowViewportCheck(page);

      await fillCard(page, '4000 0000 0000 0002');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForLoadState();
      expect(await page.getByRole('alert').locator('li').allTextContents()).toEqual([
        'Card number: this card was declined by its issuer',
      ]);
      expect(new URL(page.url()).origin).toBe(processor.url);
      await screenshot(page, name, 'declined');
      await expectAccessible(page);
      expect(processor.stats()).toMatchObject({ refusedOnPage: 2, declined: 1 });
    } finally {
      await phone.close();
    }
  });
});

/**
 * The browser-test tools themselves, in real chromium against pages this spec serves: the phone context, the
 * screenshots, and that the accessibility and 320 px checks pass a good page and fail a bad one with the details.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  axeCheck,
  expectAccessible,
  launchBrowser,
  narrowViewportCheck,
  newPhone,
  screenshot,
} from './browser';
import { accessiblePage, servePages, type PageServer } from './test-pages';

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(path: string): { width: number; height: number } {
  const png = readFileSync(path);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const GOOD_FORM = accessiblePage(
  'Update your address',
  `<form method="post" action="/submit"><label for="line1">Address line 1</label>
<input id="line1" name="line1" autocomplete="address-line1" required>
<label for="postcode">Postcode</label><input id="postcode" name="postcode" autocomplete="postal-code" required>
<button type="submit">Save</button></form>
<p id="scripted">Scripts have not run.</p>
<script>document.getElementById('scripted').textContent = 'Scripts ran.';</script>`,
);

// Missing lang, an image without text, an unlabelled field, grey on white: every one serious or critical.
const BAD_PAGE = `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bad</title></head><body><main><h1>Bad</h1><img src="/logo.png"><input id="nameless">
<p style="color:#ccc;background:#fff">Faint text</p></main></body></html>`;

const WIDE_PAGE = accessiblePage(
  'Wide',
  '<table id="statement"><tr><td style="min-width:600px">Too wide</td></tr></table>',
);
const NO_VIEWPORT_PAGE = `<!doctype html><html lang="en"><head><title>Desktop only</title></head>
<body><main><h1>Desktop only</h1></main></body></html>`;

describe('browser-test tools in real chromium', () => {
  let browser: Browser;
  let site: PageServer;
  let artifacts: string;
  const before = process.env['BROWSER_ARTIFACTS_DIR'];

  beforeAll(async () => {
    artifacts = mkdtempSync(join(tmpdir(), 'browser-artifacts-'));
    process.env['BROWSER_ARTIFACTS_DIR'] = artifacts;
    browser = await launchBrowser();
    site = await servePages((req) => {
      const path = new URL(req.url, 'http://x').pathname;
      if (path === '/good') return { body: GOOD_FORM };
      if (path === '/bad') return { body: BAD_PAGE };
      if (path === '/wide') return { body: WIDE_PAGE };
      if (path === '/no-viewport') return { body: NO_VIEWPORT_PAGE };
      if (path === '/submit')
        return { body: accessiblePage('Saved', `<p>Saved ${req.method} ${req.body.length} bytes</p>`) };
      return { status: 404, body: accessiblePage('Not found', '<p>Nothing here.</p>') };
    });
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (before === undefined) delete process.env['BROWSER_ARTIFACTS_DIR'];
    else process.env['BROWSER_ARTIFACTS_DIR'] = before;
    rmSync(artifacts, { recursive: true, force: true });
  });

  it('opens a phone-sized page, saves numbered 390×844 screenshots at DPR 2, and passes a good page', async () => {
    const phone = await newPhone(browser);
    try {
      const page = await phone.newPage();
      await page.goto(`${site.url}good`);
      const seen = await page.evaluate(() => {
        const w = globalThis as unknown as {
          innerWidth: number;
          innerHeight: number;
          devicePixelRatio: number;
          navigator: { maxTouchPoints: number; language: string; userAgent: string };
        };
        return {
          width: w.innerWidth,
          height: w.innerHeight,
          dpr: w.devicePixelRatio,
          touch: w.navigator.maxTouchPoints > 0,
          language: w.navigator.language,
          mobile: /Android .* Mobile Safari/.test(w.navigator.userAgent),
        };
      });
      expect(seen).toEqual({ width: 390, height: 844, dpr: 2, touch: true, language: 'en-GB', mobile: true });
      expect(await page.locator('#scripted').textContent()).toBe('Scripts ran.');

      const first = await screenshot(page, 'Tools: good page', 'opened');
      await page.getByLabel('Address line 1').fill('1 High Street');
      const second = await screenshot(page, 'Tools: good page', 'Filled in!');
      expect(first).toBe(join(artifacts, 'tools-good-page', '01-opened.png'));
      expect(second).toBe(join(artifacts, 'tools-good-page', '02-filled-in.png'));
      expect(pngSize(first)).toEqual({ width: 780, height: 1688 });

      expect(await axeCheck(page)).toEqual([]);
      await expectAccessible(page);
      expect(await narrowViewportCheck(page)).toMatchObject({ width: 320, scrollWidth: 320 });
      expect(page.viewportSize()).toEqual({ width: 390, height: 844 });
    } finally {
      await phone.close();
    }
  });

  it('names each serious or critical violation: rule, impact, help and the elements', async () => {
    const phone = await newPhone(browser);
    try {
      const page = await phone.newPage();
      await page.goto(`${site.url}bad`);
      const violations = await axeCheck(page);
      expect(violations.map((v) => v.id).sort()).toEqual([
        'color-contrast',
        'html-has-lang',
        'image-alt',
        'label',
      ]);
      expect(violations.find((v) => v.id === 'label')).toMatchObject({
        impact: 'critical',
        help: 'Form elements must have labels',
        targets: ['#nameless'],
      });
      await expect(expectAccessible(page)).rejects.toThrow(
        /4 serious or critical accessibility violation\(s\).*\n- .*image-alt \(critical\): Images must have alternative text — img/s,
      );
    } finally {
      await phone.close();
    }
  });

  it('fails the 320 px check for a page that scrolls sideways, and for one not laid out at device width', async () => {
    const phone = await newPhone(browser);
    try {
      const page = await phone.newPage();
      await page.goto(`${site.url}wide`);
      await expect(narrowViewportCheck(page)).rejects.toThrow(
        /scrolls horizontally at 320 px: the document is \d+ px wide for a 320 px viewport; sticking out: .*table#statement/,
      );
      expect(page.viewportSize()).toEqual({ width: 390, height: 844 });
      await page.goto(`${site.url}no-viewport`);
      await expect(narrowViewportCheck(page)).rejects.toThrow(/laid out 980 px wide on a 320 px screen/);
    } finally {
      await phone.close();
    }
  });

  it('with JavaScript off: no page script runs, forms still post, and axe still checks the page', async () => {
    const phone = await newPhone(browser, { javaScriptEnabled: false });
    try {
      const page = await phone.newPage();
      await page.goto(`${site.url}good`);
      expect(await page.locator('#scripted').textContent()).toBe('Scripts have not run.');
      expect(await axeCheck(page)).toEqual([]);
      expect(await page.locator('#scripted').textContent()).toBe('Scripts have not run.');
      await page.getByLabel('Address line 1').fill('1 High Street');
      await page.getByLabel('Postcode').fill('SW1A 1AA');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(`${site.url}submit`);
      expect(await page.locator('p').textContent()).toBe('Saved POST 37 bytes');
      expect(site.requests.at(-1)).toMatchObject({
        method: 'POST',
        body: 'line1=1+High+Street&postcode=SW1A+1AA',
      });

      await page.goto(`${site.url}bad`);
      expect((await axeCheck(page)).map((v) => v.id)).toContain('image-alt');
      await screenshot(page, 'tools-js-off', 'bad page');
      expect(readdirSync(join(artifacts, 'tools-js-off'))).toEqual(['01-bad-page.png']);
    } finally {
      await phone.close();
    }
  });
});

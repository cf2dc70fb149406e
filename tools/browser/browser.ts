/**
 * Real-browser testing for the customer's pages: Debian's chromium driven by playwright-core (which never downloads a
 * browser of its own), a phone-sized context, numbered screenshots kept as test artifacts, axe-core's WCAG checks run
 * inside the page, and a 320 px reflow check.
 *
 *   const browser = await launchBrowser();
 *   const phone = await newPhone(browser);               // 390×844, DPR 2, touch, en-GB; { javaScriptEnabled: false } too
 *   const page = await phone.newPage();
 *   await page.goto(url);
 *   await screenshot(page, 'card-page', 'opened');       // artifacts/browser/card-page/01-opened.png
 *   await expectAccessible(page);                        // 0 serious or critical axe violations
 *   await narrowViewportCheck(page);                     // no horizontal scrolling at 320 px
 *   await browser.close();
 */
import { accessSync, constants, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AxeResults, ImpactValue, RunOptions } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (the `chromium` package); `CHROMIUM_PATH` names another binary. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
export const ENSURE_CHROMIUM_SCRIPT = 'tools/browser/ensure-chromium';

/** The flags every launch uses: headless, no sandbox (tests run as root in CI), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
] as const;

/** The phone every journey is seen on (an iPhone 12–15 sized viewport). */
export const PHONE_VIEWPORT = { width: 390, height: 844 } as const;
/** The narrowest width the pages must reflow to (WCAG 2.2 SC 1.4.10: 320 CSS px). */
export const NARROW_WIDTH = 320;

const repoRoot = resolve(__dirname, '..', '..');

/** Where the browser binary is, or why there is none (with what to run). */
export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] || DEFAULT_CHROMIUM_PATH;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${path}: run ${ENSURE_CHROMIUM_SCRIPT} (installs Debian's chromium with apt-get)` +
        (process.env['CHROMIUM_PATH']
          ? ', or unset CHROMIUM_PATH'
          : ', or set CHROMIUM_PATH to a Chromium binary'),
    );
  }
  return path;
}

/** Starts headless chromium. Close it in `afterAll` (`await browser.close()`). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: 30_000,
  });
}

export interface PhoneOptions {
  /** false: the page's own scripts do not run (progressive enhancement: every journey must still work). */
  javaScriptEnabled?: boolean;
  locale?: string;
}

/**
 * A fresh context (its own cookies and storage) sized like a phone: 390×844 CSS px, device pixel ratio 2, a mobile
 * viewport with touch, a mobile Chrome user agent, British English, Europe/London.
 */
export async function newPhone(browser: Browser, options: PhoneOptions = {}): Promise<BrowserContext> {
  const javaScriptEnabled = options.javaScriptEnabled ?? true;
  const context = await browser.newContext({
    viewport: { ...PHONE_VIEWPORT },
    screen: { ...PHONE_VIEWPORT },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: options.locale ?? 'en-GB',
    timezoneId: 'Europe/London',
    userAgent: mobileUserAgent(browser),
    javaScriptEnabled,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  if (!javaScriptEnabled) scriptless.add(context);
  return context;
}

/** Chrome on Android's user agent for this chromium's major version (the reduced form Chrome sends). */
export function mobileUserAgent(browser: Browser): string {
  const major = browser.version().split('.')[0];
  return `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Mobile Safari/537.36`;
}

/** Contexts made with JavaScript off: Chromium runs no callback there, not even axe's (see axeCheck). */
const scriptless = new WeakSet<BrowserContext>();

/** Where screenshots go: `BROWSER_ARTIFACTS_DIR`, else `artifacts/browser` in the repository (gitignored). */
export function artifactsDir(): string {
  return process.env['BROWSER_ARTIFACTS_DIR'] || join(repoRoot, 'artifacts', 'browser');
}

/** A file-name-safe form of a test or step name: lower-case letters, digits and single dashes, ≤ 80 characters. */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  if (s.length === 0) throw new Error(`"${name}" has no letter or digit to name a screenshot by`);
  return s;
}

const shotsTaken = new Map<string, number>();

/**
 * Saves what the page shows as `<artifacts>/<test>/<nn>-<step>.png` and returns the path; nn counts the test's
 * screenshots from 01. A test's first screenshot in a run empties its directory, so the files are this run's only.
 * The viewport only (390×844 on a phone) unless `fullPage`.
 */
export async function screenshot(
  page: Page,
  testName: string,
  step: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  const dir = join(artifactsDir(), slug(testName));
  const taken = shotsTaken.get(dir) ?? 0;
  if (taken === 0) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  shotsTaken.set(dir, taken + 1);
  const path = join(dir, `${String(taken + 1).padStart(2, '0')}-${slug(step)}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? false, animations: 'disabled' });
  return path;
}

/** The WCAG levels checked: 2.0, 2.1 and 2.2, A and AA (AA conformance includes every level-A criterion). */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const;
const BLOCKING_IMPACTS: readonly ImpactValue[] = ['serious', 'critical'];

export interface AxeViolation {
  id: string;
  impact: 'serious' | 'critical';
  help: string;
  helpUrl: string;
  /** CSS selectors of the offending elements (frames joined by ` >>> `). */
  targets: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core inside the page over the whole document and returns the serious and critical violations. Its source
 * is evaluated through the DevTools protocol, so the page's Content-Security-Policy does not stop it.
 *
 * In a context with JavaScript off Chromium runs no callback at all (axe.run would never settle), so the document as
 * it stands (`page.content()`) is checked in a scripting twin of the context instead: same viewport, the same cookies,
 * served at the same URL (its stylesheets and images load from the real server) with `script-src 'none'`, so none of
 * the page's own scripts runs there either. Values typed into fields are not carried over.
 */
export async function axeCheck(page: Page): Promise<AxeViolation[]> {
  if (!scriptless.has(page.context())) return runAxe(page);
  const browser = page.context().browser();
  if (!browser) throw new Error('axeCheck: the page has no browser to open a scripting twin in');
  const url = page.url();
  const documentUrl = new URL(url);
  documentUrl.hash = '';
  const html = await page.content();
  const twin = await newPhone(browser);
  try {
    await twin.addCookies(await page.context().cookies());
    // The document request only (never sent to the server: a page that answered a POST is not fetched again).
    await twin.route(
      (u) => u.href === documentUrl.href,
      (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          headers: { 'content-security-policy': "script-src 'none'" },
          body: html,
        }),
      { times: 1 },
    );
    const copy = await twin.newPage();
    await copy.setViewportSize(page.viewportSize() ?? { ...PHONE_VIEWPORT });
    await copy.goto(url);
    return await runAxe(copy);
  } finally {
    await twin.close();
  }
}

async function runAxe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const options: RunOptions = {
    runOnly: { type: 'tag', values: [...AXE_TAGS] },
    resultTypes: ['violations'],
  };
  const results = await page.evaluate((opts) => {
    const { axe, document } = globalThis as unknown as InPage & {
      axe: { run(context: unknown, o: RunOptions): Promise<AxeResults> };
    };
    return axe.run(document, opts);
  }, options);
  return results.violations
    .filter((v) => v.impact != null && BLOCKING_IMPACTS.includes(v.impact))
    .map((v) => ({
      id: v.id,
      impact: v.impact as AxeViolation['impact'],
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.map((n) =>
        n.target.map((t) => (Array.isArray(t) ? t.join(' ') : String(t))).join(' >>> '),
      ),
    }));
}

/** One line per violation: id, impact, what to fix and where. */
export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map((v) => `- ${v.id} (${v.impact}): ${v.help} — ${v.targets.join(', ')} [${v.helpUrl}]`)
    .join('\n');
}

/** Fails the test when axe finds any serious or critical WCAG 2.2 AA violation on the page, naming each. */
export async function expectAccessible(page: Page): Promise<void> {
  const violations = await axeCheck(page);
  if (violations.length > 0) {
    throw new Error(
      `${violations.length} serious or critical accessibility violation(s) on ${page.url()}:\n${formatViolations(violations)}`,
    );
  }
}

export interface ReflowMeasure {
  width: number;
  scrollWidth: number;
  /** Up to 10 elements whose right edge passes the viewport's (tag#id.class), for the failure message. */
  overflowing: string[];
}

/**
 * The little of the page's DOM the functions run in it use: the workspace compiles without the DOM library (server
 * code must not see `window`), so the functions passed to `page.evaluate` read these through `globalThis`.
 */
interface InPageElement {
  clientWidth: number;
  scrollWidth: number;
  tagName: string;
  id: string;
  className: unknown;
  getBoundingClientRect(): { right: number };
  querySelectorAll(selector: string): ArrayLike<InPageElement>;
}
interface InPage {
  document: {
    scrollingElement: InPageElement | null;
    documentElement: InPageElement;
    body: InPageElement | null;
  };
}

/** What the document measures at the current viewport: its scroll width and the elements sticking out. */
async function measureReflow(page: Page): Promise<ReflowMeasure> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as InPage;
    const root = document.scrollingElement ?? document.documentElement;
    const width = root.clientWidth;
    const overflowing: string[] = [];
    for (const el of Array.from(document.body?.querySelectorAll('*') ?? [])) {
      if (overflowing.length >= 10) break;
      if (el.getBoundingClientRect().right > width + 0.5) {
        const cls =
          typeof el.className === 'string' && el.className.trim()
            ? `.${el.className.trim().split(/\s+/).join('.')}`
            : '';
        overflowing.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}`);
      }
    }
    return { width, scrollWidth: root.scrollWidth, overflowing };
  });
}

/**
 * Narrows the viewport to 320 CSS px, fails if the document then scrolls horizontally (naming the elements that stick
 * out) or is not laid out at the device's width at all (no `<meta name="viewport" content="width=device-width">`: a
 * phone lays such a page out 980 px wide and shrinks it), and puts the viewport back. Returns the measure.
 */
export async function narrowViewportCheck(page: Page): Promise<ReflowMeasure> {
  const before = page.viewportSize() ?? { ...PHONE_VIEWPORT };
  await page.setViewportSize({ width: NARROW_WIDTH, height: before.height });
  try {
    const measure = await measureReflow(page);
    if (measure.width !== NARROW_WIDTH) {
      throw new Error(
        `${page.url()} is laid out ${measure.width} px wide on a ${NARROW_WIDTH} px screen: it needs ` +
          '<meta name="viewport" content="width=device-width, initial-scale=1">',
      );
    }
    if (measure.scrollWidth > measure.width) {
      throw new Error(
        `${page.url()} scrolls horizontally at ${NARROW_WIDTH} px: the document is ${measure.scrollWidth} px wide ` +
          `for a ${measure.width} px viewport; sticking out: ${measure.overflowing.join(', ') || '(none found)'}`,
      );
    }
    return measure;
  } finally {
    await page.setViewportSize(before);
  }
}

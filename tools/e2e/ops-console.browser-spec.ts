/**
 * The ops console in real chromium at 1440×900, over the running services: trigger-ingest, the orchestrator and
 * writeback-rest with the simulated REST core, and the console itself as a process of its own (its operators'
 * password hashes made for this run). A case whose document upload the core refuses (a 422, once) goes to the
 * exception queue; an agent signs in, finds it at the top of the queue with what happened, what was tried and what
 * the customer did, retries it, and the core receives the posting once under the new key; the case page shows the
 * timeline, the writebacks with attempts and the core's reference, and the resolution in the agent's own name. A
 * viewer sees the queue without the actions. The SLO page and the breaks and alerts page render from Prometheus and
 * Alertmanager when the devstack has them. Every page is screenshotted and checked with axe (0 serious or critical).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Topics } from '@closeout/contracts';
import { idempotencyKey } from '@closeout/writeback-domain';
import { hashPassword } from '../../apps/ops-console/src/auth/passwords';
import { devstackEnv } from '../devstack/devstack-env';
import { expectAccessible, launchBrowser, screenshot } from '../browser/browser';
import { logFile, startProcess, stopService, waitForExit, waitUntilReady } from '../demo/services';
import { CaseStack, freePort } from './case-stack';
import { customerAction, SAMPLES } from './samples';

jest.setTimeout(240_000);

const TEST = 'ops-console';
const consoleToken = `it-ops-console-${randomBytes(12).toString('hex')}`;
const auditToken = `it-ops-console-audit-${randomBytes(12).toString('hex')}`;
const agent = { id: 'alice.agent', password: `pw-${randomBytes(12).toString('hex')}` };
const viewer = { id: 'victor.viewer', password: `pw-${randomBytes(12).toString('hex')}` };

let stack: CaseStack;
let browser: Browser;
let consoleName = '';
let consoleUrl = '';
let auditStore: Server | undefined;

/**
 * The audit store's case story (`GET /v1/audit?caseId=`, apps/audit-exporter) answered from the audit events the stack
 * really published on the audit topic for the case, in the order they were read; the console's token is checked.
 */
async function startAuditStore(): Promise<string> {
  const port = await freePort();
  auditStore = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://audit.test');
    if (req.headers.authorization !== `Bearer ${auditToken}`) return void res.writeHead(401).end();
    if (url.pathname !== '/v1/audit') return void res.writeHead(404).end();
    const caseId = url.searchParams.get('caseId') ?? '';
    const records = stack.observed.auditOf(caseId).map((event, i) => ({
      seq: i + 1,
      storedAt: new Date().toISOString(),
      hash: '0'.repeat(64),
      event,
    }));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ caseId, records, next: null }));
  });
  await new Promise<void>((resolve) => auditStore!.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  const env = devstackEnv();
  stack = await new CaseStack({
    env,
    // The document workflow writes back over REST only.
    writebackServices: ['writeback-rest'],
    apiPrincipals: { 'ops-console': consoleToken },
    extraEnv: { orchestrator: { ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS: 'ops-console' } },
    log: (line) => console.log(line),
  }).start();
  const port = await freePort();
  consoleName = `it-${stack.runId}-ops-console`;
  consoleUrl = `http://127.0.0.1:${port}`;
  const auditUrl = await startAuditStore();
  const operators = [
    `${agent.id}:agent:${await hashPassword(agent.password)}`,
    `${viewer.id}:viewer:${await hashPassword(viewer.password)}`,
  ].join(',');
  startProcess(consoleName, 'apps/ops-console/src/main.ts', [], {
    SERVICE_NAME: consoleName,
    HTTP_PORT: String(port),
    LOG_LEVEL: 'warn',
    CONSOLE_OPERATORS: operators,
    ORCHESTRATOR_URL: stack.orchestratorUrl,
    CONSOLE_ORCHESTRATOR_TOKEN: consoleToken,
    AUDIT_URL: auditUrl,
    CONSOLE_AUDIT_TOKEN: auditToken,
    ...(env['PROMETHEUS_URL'] ? { PROMETHEUS_URL: env['PROMETHEUS_URL'] } : {}),
    ...(env['ALERTMANAGER_URL'] ? { ALERTMANAGER_URL: env['ALERTMANAGER_URL'] } : {}),
    ...(env['ZIPKIN_URL'] ? { ZIPKIN_UI_URL: env['ZIPKIN_URL'] } : {}),
  });
  await waitUntilReady(consoleName, port, 90_000).catch((err: unknown) => {
    throw new Error(`the console did not start (${String(err)}); see ${logFile(consoleName)}`);
  });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (consoleName && stopService(consoleName, 'SIGTERM')) await waitForExit(consoleName, 15_000);
  await new Promise((resolve) => (auditStore ? auditStore.close(resolve) : resolve(undefined)));
  await stack?.close();
});

beforeEach(() => {
  expect.hasAssertions();
});

async function desktop(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, who: { id: string; password: string }): Promise<void> {
  await page.goto(`${consoleUrl}/exceptions`);
  // Not signed in: the console sends everyone to its sign-in page first.
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.getByLabel('Operator id').fill(who.id);
  await page.getByLabel('Password').fill(who.password);
  await Promise.all([
    page.waitForURL(`${consoleUrl}/exceptions`, { waitUntil: 'domcontentloaded', timeout: 60_000 }),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** A document upload the core refuses once with a 422: the case goes to the queue as WRITEBACK_FAILED. */
async function failedWriteback(): Promise<{ caseId: string; key: string }> {
  const sample = SAMPLES[4]!;
  const run = stack.runId;
  const customerId = `cus-${run}-console`;
  const res = await stack.postTrigger({
    sourceSystem: 'core-billing',
    eventId: `it-${run}-console-1`,
    eventType: sample.eventType,
    occurredAt: new Date().toISOString(),
    customer: { customerId, accountId: '4000000777', timeZone: 'Europe/London' },
    ...(sample.amount ? { amount: sample.amount } : {}),
    attributes: sample.attributes,
  });
  expect(res.status).toBe(202);
  const caseId = res.body.caseId!;
  const key = idempotencyKey({
    customerId,
    workflowId: sample.workflowId,
    operation: 'document.attach',
    sequence: caseId,
  });
  // Every write under this key is refused (422) until the case is in the queue; the agent's retry uses a new key.
  const faults = stack.rest.faults();
  stack.rest.setFaults({ mode: 'invalid_4xx', match: { idempotencyKey: key } });
  try {
    expect(await stack.until(() => stack.observed.outreachOf(caseId).length > 0)).toBe(true);
    await stack.publish(Topics.miniappAction, [customerAction(caseId, sample)]);
    await stack.waitForState(caseId, ['EXCEPTION'], 90_000);
  } finally {
    stack.rest.setFaults(...faults);
  }
  return { caseId, key };
}

const postingsOf = (key: string) => stack.rest.journal().filter((e) => e.idempotencyKey === key).length;

describe('the ops console in chromium at 1440×900', () => {
  test('an agent retries a failed writeback from the queue: one posting at the core, the case page tells the story in the agent’s name', async () => {
    const { caseId, key } = await failedWriteback();
    const { context, page } = await desktop();
    try {
      await page.goto(`${consoleUrl}/login`);
      await screenshot(page, TEST, 'sign-in');
      await expectAccessible(page);
      await signIn(page, agent);

      // The queue, filtered to the kind: the case with what happened, what was tried and what the customer did.
      await page.getByLabel('Kind').fill('WRITEBACK_FAILED');
      await Promise.all([
        page.waitForURL(/kind=WRITEBACK_FAILED/, { waitUntil: 'domcontentloaded', timeout: 60_000 }),
        page.getByRole('button', { name: 'Filter' }).click(),
      ]);
      const item = page.locator('li.item', { has: page.locator(`a[href="/cases/${caseId}"]`) });
      await expect(item.count()).resolves.toBe(1);
      const text = await item.innerText();
      expect(text).toContain('What happened');
      expect(text).toContain('VALIDATION');
      expect(text).toContain('core-banking-rest');
      expect(text).toContain('document.upload');
      await screenshot(page, TEST, 'exception-queue');
      await expectAccessible(page);

      // Retry, with a note for the audit trail.
      await item.getByLabel('Retry the writebacks').check();
      await item.getByLabel('Note for the audit trail (why)').fill('core fixed the document type table');
      await Promise.all([
        page.waitForURL(new RegExp(`/cases/${caseId}\\?resolved=retry`), {
          waitUntil: 'domcontentloaded',
          timeout: 60_000,
        }),
        item.getByRole('button', { name: 'Resolve' }).click(),
      ]);
      await expect(page.getByRole('status').first().innerText()).resolves.toContain(
        `in your name (${agent.id})`,
      );

      // The core receives the retried writeback once, under a new key; the case completes.
      const done = await stack.waitForState(caseId, ['COMPLETED'], 60_000);
      const live = done.writebacks.filter((w) => !w.superseded);
      expect(live).toHaveLength(1);
      expect(live[0]!.idempotencyKey).not.toBe(key);
      expect(postingsOf(live[0]!.idempotencyKey)).toBe(1);
      expect(postingsOf(key)).toBe(0);

      // The case page: state, timeline, writebacks with the core's reference.
      await page.goto(`${consoleUrl}/cases/${caseId}`);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe(`Case ${caseId}`);
      const main = await page.locator('main').innerText();
      expect(main).toContain('COMPLETED');
      for (const kind of ['case.opened', 'exception.opened', 'exception.resolved', 'case.completed'])
        expect(main).toContain(kind);
      expect(main).toContain(live[0]!.providerRef!);
      expect(main).toContain(live[0]!.idempotencyKey);
      // The exception, resolved in the agent's name through the console.
      const resolvedItem = await page.locator('li.item', { hasText: 'WRITEBACK_FAILED' }).innerText();
      expect(resolvedItem).toContain(`by: ${agent.id}`);
      expect(resolvedItem).toContain('via: ops-console');
      await screenshot(page, TEST, 'case-page', { fullPage: true });
      await expectAccessible(page);

      // The orchestrator recorded the human agent, and the console as the tool they acted through.
      const view = (await stack.getCase(caseId))!;
      const exception = view.exceptions.find((e) => e.kind === 'WRITEBACK_FAILED')!;
      expect(exception.status).toBe('RESOLVED');
      const audited = () =>
        stack.observed
          .auditOf(caseId)
          .some(
            (a) => a.action === 'exception.resolved' && a.actor.type === 'AGENT' && a.actor.id === agent.id,
          );
      expect(await stack.until(audited, 20_000)).toBe(true);

      // The case page's audit story, from the store: every audit event of the case in order, the agent's resolution
      // in their own name. (Events may still arrive while the page loads: those before it are all there.)
      const before = stack.observed.auditOf(caseId).length;
      await page.goto(`${consoleUrl}/cases/${caseId}`);
      const rows = page.locator('#audit + table tbody tr');
      const story: string[][] = [];
      for (let i = 0; i < (await rows.count()); i++)
        story.push(await rows.nth(i).locator('td').allInnerTexts());
      expect(story.length).toBeGreaterThanOrEqual(before);
      const events = stack.observed.auditOf(caseId).slice(0, story.length);
      expect(story.map((cells) => [cells[0], cells[3], cells[6]])).toEqual(
        events.map((e, i) => [String(i + 1), e.action, e.service]),
      );
      const resolvedRow = story.find((cells) => cells[3] === 'exception.resolved');
      expect(resolvedRow?.[2]).toBe(`AGENT:${agent.id}`);
    } finally {
      await context.close();
    }
  });

  test('a viewer sees the queue without actions, and cannot resolve by posting the form', async () => {
    const { context, page } = await desktop();
    try {
      await signIn(page, viewer);
      await expect(page.locator('form.resolve').count()).resolves.toBe(0);
      await expect(page.locator('.who').innerText()).resolves.toContain('viewer');
      // A hand-made post with the viewer's own session and token is refused: the role is checked on the server.
      const csrf = await page.locator('form.signout input[name=_csrf]').getAttribute('value');
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/exceptions/exc_none/resolve')),
        // Evaluated as a string in the page (the spec's types have no DOM): a form built and submitted there.
        page.evaluate(`(() => {
          const form = document.createElement('form');
          form.method = 'post';
          form.action = '/exceptions/exc_none/resolve';
          for (const [name, value] of Object.entries(${JSON.stringify({ _csrf: csrf, caseId: 'case-none', resolution: 'close', note: 'x' })})) {
            const input = document.createElement('input');
            input.type = 'hidden';
            input.name = name;
            input.value = value;
            form.appendChild(input);
          }
          document.body.appendChild(form);
          form.submit();
        })()`),
      ]);
      expect(res.status()).toBe(403);
      await expect(page.locator('main').innerText()).resolves.toContain(
        'Only an agent may resolve exceptions',
      );
      // A bad filter is a 400 naming the field and the rule.
      const bad = await page.goto(`${consoleUrl}/exceptions?status=SOMETIMES`);
      expect(bad?.status()).toBe(400);
      await expect(page.locator('.error-summary').innerText()).resolves.toContain(
        'status: must be OPEN or RESOLVED',
      );
    } finally {
      await context.close();
    }
  });

  test('the SLO page and the breaks and alerts page', async () => {
    const { context, page } = await desktop();
    try {
      await signIn(page, agent);
      await page.getByRole('link', { name: 'SLOs' }).click();
      await page.waitForURL(`${consoleUrl}/slo`);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe(
        'Service level objectives',
      );
      const slo = await page.locator('main').innerText();
      expect(slo).toMatch(/Source: /);
      expect(slo).toContain('Breakers per destination');
      expect(slo).toContain('Backlog and oldest unknown');
      // Charts are drawn by uPlot from /assets when Prometheus has series; none may fail the CSP.
      const charts = await page.locator('.plot').count();
      if (charts > 0) await page.locator('.plot .uplot').first().waitFor({ timeout: 10_000 });
      await screenshot(page, TEST, 'slo-page', { fullPage: true });
      await expectAccessible(page);

      await page.getByRole('link', { name: 'Breaks and alerts' }).click();
      await page.waitForURL(`${consoleUrl}/breaks`);
      const breaks = await page.locator('main').innerText();
      expect(breaks).toContain('Open alerts');
      expect(breaks).toContain('Open reconciliation breaks');
      await screenshot(page, TEST, 'breaks-and-alerts', { fullPage: true });
      await expectAccessible(page);

      // Signing out ends the session: the queue sends the browser back to the sign-in page.
      await Promise.all([
        page.waitForURL(`${consoleUrl}/login`),
        page.getByRole('button', { name: 'Sign out' }).click(),
      ]);
      await page.goto(`${consoleUrl}/exceptions`);
      expect(new URL(page.url()).pathname).toBe('/login');
    } finally {
      await context.close();
    }
  });
});

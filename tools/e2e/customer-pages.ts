/**
 * What a customer does on the mini-app's pages in chromium, step by step, as a person finds things (labels, roles,
 * headings): open the link from their message, verify (a one-time code read from the same phone or inbox; date of
 * birth and postcode when asked), and take one action through its form. Every page is screenshotted and checked with
 * axe (0 serious or critical violations); the link, verify and actions pages also at 320 px. Used by
 * customer-journeys.browser-spec.ts.
 */
import type { Page } from 'playwright-core';
import { expectAccessible, narrowViewportCheck, screenshot } from '../browser/browser';
import { waitForLatestCode, waitForLatestLink, type Recipient } from '../browser/journey';
import { workflowAction } from '../demo/scenarios';

/** Where the customer's pages and messages are. */
export interface Reach {
  miniappUrl: string;
  cardProcessorUrl: string;
}

export interface KnownFacts {
  /** YYYY-MM-DD, as the system of record states it; the customer types it as the page's hint shows (dd/mm/yyyy). */
  dateOfBirth: string;
  postalCode: string;
}

/** One page of the journey: a screenshot, axe, and the 320 px check where asked. */
export async function checkPage(page: Page, test: string, step: string, narrow = false): Promise<void> {
  await screenshot(page, test, step);
  await expectAccessible(page);
  if (narrow) await narrowViewportCheck(page);
}

export const pathOf = (page: Page): string => new URL(page.url()).pathname;
export const headingOf = async (page: Page): Promise<string> =>
  ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();

/** How long the customer takes to read the message before tapping its link. */
const READING_MS = 3_000;

export type IdentityStep = 'code-sent' | 'code-typed' | 'facts';

/**
 * The newest link in the customer's message → its page → Continue → the identity steps the verify page asks for →
 * the actions page. Returns the identity steps taken, in order.
 */
export async function openAndVerify(
  page: Page,
  o: { reach: Reach; test: string; recipient: Recipient; since: Date; knownFacts: KnownFacts },
): Promise<IdentityStep[]> {
  const link = await waitForLatestLink(o.recipient, {
    since: o.since,
    baseUrl: o.reach.miniappUrl,
    timeoutMs: 45_000,
  });
  // A person reads the message before tapping its link. (The mini-app learns of a link from messaging's SENT event,
  // which reaches it through the outbox and Kafka about when the message reaches the phone: a link tapped within
  // that moment gets "This link does not work".)
  await page.waitForTimeout(READING_MS);
  const opened = await page.goto(link);
  expect({ status: opened?.status(), heading: await headingOf(page) }).toEqual({
    status: 200,
    heading: 'Your secure page',
  });
  await checkPage(page, o.test, 'link opened', true);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForLoadState();
  expect({ path: pathOf(page), heading: await headingOf(page) }).toEqual({
    path: '/s/verify',
    heading: 'Confirm it is you',
  });
  const steps: IdentityStep[] = [];
  let codeSince = o.since;
  for (let i = 0; i < 6 && pathOf(page) !== '/s/actions'; i++) {
    // The verify page, or a verify form's answer in place (the code sent, a wrong answer).
    expect(pathOf(page)).toMatch(/^\/s\/verify(\/|$)/);
    const send = page.getByRole('button', { name: /^Send (me a|a new) code$/ });
    const code = page.getByLabel('Code', { exact: true });
    const dateOfBirth = page.getByLabel('Date of birth');
    if (steps.at(-1) === 'code-sent' && (await code.isVisible())) {
      await code.fill(await waitForLatestCode(o.recipient, { since: codeSince }));
      await page.getByRole('button', { name: 'Confirm code' }).click();
      steps.push('code-typed');
    } else if (await send.isVisible()) {
      if (steps.length === 0) await checkPage(page, o.test, 'verify', true);
      codeSince = new Date(Date.now() - 1_000);
      await send.click();
      await code.waitFor();
      await checkPage(page, o.test, 'code sent');
      steps.push('code-sent');
      continue;
    } else if (await dateOfBirth.isVisible()) {
      await checkPage(page, o.test, 'known facts', steps.length === 0);
      const [y, m, d] = o.knownFacts.dateOfBirth.split('-');
      await dateOfBirth.fill(`${d}/${m}/${y}`);
      // As written on a letter, in lower case: the page's check is not fussy about the form.
      await page.getByLabel('Postcode').fill(o.knownFacts.postalCode.toLowerCase());
      await page.getByRole('button', { name: 'Continue' }).click();
      steps.push('facts');
    } else {
      throw new Error(`the verify page offers nothing to do (${await headingOf(page)})`);
    }
    await page.waitForLoadState();
  }
  expect({ path: pathOf(page), heading: await headingOf(page) }).toEqual({
    path: '/s/actions',
    heading: 'What would you like to do?',
  });
  await checkPage(page, o.test, 'actions', true);
  return steps;
}

/** The section of the actions page headed with the seed workflow's label of the action. */
export function actionSection(page: Page, workflowId: string, action: string) {
  const { label } = workflowAction(workflowId, action);
  return page.locator('section.action').filter({ has: page.getByRole('heading', { level: 2, name: label }) });
}

/** The thank-you page the action ends on. */
export async function expectDone(page: Page, test: string): Promise<void> {
  await page.waitForURL((u) => u.pathname === '/s/done');
  expect(await headingOf(page)).toBe('Thank you');
  await checkPage(page, test, 'done');
}

export interface TestCard {
  number: string;
  expiryMonth: string;
  expiryYear: string;
  cvc: string;
}

/**
 * card.update: the action's link to the processor's hosted page (another origin), the card typed there, its 303 back
 * to the mini-app (through the mini-app's same-site refresh page: the Strict cookie does not ride a cross-site
 * redirect), the card's summary, confirm.
 */
export async function updateCard(
  page: Page,
  o: { reach: Reach; test: string; workflowId: string; card: TestCard },
): Promise<void> {
  await actionSection(page, o.workflowId, 'card.update')
    .getByRole('link', { name: 'Enter card details securely' })
    .click();
  await page.waitForURL((u) => u.origin === o.reach.cardProcessorUrl);
  await checkPage(page, o.test, 'processor page');
  await page.getByLabel('Card number').fill(o.card.number);
  await page.getByLabel('Expiry month (MM)').fill(o.card.expiryMonth);
  await page.getByLabel('Expiry year (YY or YYYY)').fill(o.card.expiryYear);
  await page.getByLabel('Security code (CVC)').fill(o.card.cvc);
  await page.getByRole('button', { name: 'Continue' }).click();
  const confirm = page.getByRole('button', { name: 'Use this card and retry the payment' });
  await confirm.waitFor();
  expect(new URL(page.url()).origin).toBe(o.reach.miniappUrl);
  const last4 = o.card.number.slice(-4);
  expect(await page.getByText(new RegExp(`card ending ${last4}`)).count()).toBeGreaterThan(0);
  await confirm.scrollIntoViewIfNeeded();
  await checkPage(page, o.test, 'card to confirm');
  await confirm.click();
}

/** plan.choose: the installments option at `optionIndex` and the earliest first due date the form allows. */
export async function choosePlan(
  page: Page,
  o: { test: string; workflowId: string; optionIndex: number },
): Promise<void> {
  const section = actionSection(page, o.workflowId, 'plan.choose');
  await section.getByLabel('Number of monthly payments').selectOption({ index: o.optionIndex });
  const date = section.getByLabel('Date of the first payment');
  const min = await date.getAttribute('min');
  expect(min).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await date.fill(min!);
  await checkPage(page, o.test, 'plan chosen');
  await section.getByRole('button', { name: 'Agree this plan' }).click();
}

export interface Address {
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

/** address.confirm: the current address typed in. */
export async function confirmAddress(
  page: Page,
  o: { test: string; workflowId: string; address: Address },
): Promise<void> {
  const section = actionSection(page, o.workflowId, 'address.confirm');
  await section.getByLabel('Address line 1').fill(o.address.line1);
  await section.getByLabel('Town or city').fill(o.address.city);
  await section.getByLabel('Postcode').fill(o.address.postalCode);
  await section.getByLabel('Country').selectOption(o.address.country);
  await checkPage(page, o.test, 'address typed');
  await section.getByRole('button', { name: 'Confirm this address' }).click();
}

/** document.upload: the type, the file, and where the workflow asks for it the declaration signed. */
export async function uploadDocument(
  page: Page,
  o: {
    test: string;
    workflowId: string;
    documentType: string;
    file: { name: string; mimeType: string; buffer: Buffer };
    signAs?: string;
  },
): Promise<void> {
  const section = actionSection(page, o.workflowId, 'document.upload');
  await section.getByLabel('Type of document').selectOption(o.documentType);
  await section.getByLabel('File', { exact: true }).setInputFiles(o.file);
  if (o.signAs !== undefined) {
    await section.getByLabel('Type your full name to sign').fill(o.signAs);
    await section.getByLabel('I confirm the declaration above').check();
  }
  await checkPage(page, o.test, 'document chosen');
  await section.getByRole('button', { name: 'Upload' }).click();
}

/** A small clean one-page PDF, different per label (the document store keeps one row per case and content). */
export function cleanPdf(label: string): Buffer {
  return Buffer.from(
    [
      '%PDF-1.4',
      `% Closeout browser test: ${label}`,
      '1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj',
      '2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj',
      '3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj',
      'trailer <</Root 1 0 R>>',
      '%%EOF',
      '',
    ].join('\n'),
  );
}

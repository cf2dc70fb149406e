/**
 * One simulated customer's journey through the mini-app's real pages, as a person without JavaScript would take it:
 * the link from their message → the page's Continue form (a session cookie) → the one-time code, requested on the
 * page and read from their own mailbox or phone, typed in (five wrong ones for a customer who mistypes: locked, the
 * case goes to the exception queue) → their date of birth and postcode when the page asks → the actions page → their
 * choice: the action's form (for a card or bank payment the processor's hosted page on its own origin, a test card
 * typed there, its 303 back, the confirmation), a small clean PDF for a document, a plan, an address — or decline,
 * or stop messages. Everything goes through customer-browser.ts, which follows the HTML; nothing is posted that the
 * pages did not offer. The record says how far the customer got and where they stopped (status and page heading:
 * never a field value, code or link).
 */
import { CustomerBrowser, formsTo, headingOf, type Page } from './customer-browser';
import { findOneTimeCode, type SinkMailboxes } from './inbox';
import { workflowAction, type CustomerInput, type CustomerPlan } from './scenarios';

export type JourneyOutcome =
  /** The action was taken: the mini-app answered its "done" page. */
  | 'acted'
  | 'declined'
  | 'opted-out'
  /** Five wrong one-time codes: the session locked (identity.locked, VERIFICATION_FAILED). */
  | 'failed-verification'
  /** The link was refused (expired, used, revoked: a newer message, a case already closed). */
  | 'link-refused'
  /** The customer's action was not among the eligible ones on the page (e.g. a payment bounced for fraud). */
  | 'not-offered'
  /** A page the customer could not go on from (a 4xx/5xx page of the mini-app or the processor). */
  | 'stopped'
  /** The journey broke (a network error, no code arrived). */
  | 'error';

export interface JourneyRecord {
  caseId: string;
  kind: CustomerPlan['kind'];
  action: string;
  /** The link was opened into a session. */
  started: boolean;
  /** The identity check the workflow asks for was passed (the actions page was reached). */
  verified: boolean;
  outcome: JourneyOutcome;
  /** Where a journey that did not finish stopped: `<status> <page heading>` or the error's message. */
  stoppedAt?: string;
  /** A first attempt refused on the page naming the field (wrong-then-right customers). */
  refusedFirst: boolean;
  /** The customer first opened an older message's link, refused as superseded, then the newest message's. */
  olderLinkFirst?: boolean;
  /** Submissions of the final form (2 for a double tap). */
  submissions: number;
  codesRequested: number;
  wrongCodes: number;
  requests: number;
  startedAt: number;
  /** When the action (or decline) was answered with the done page. */
  finishedAt?: number;
}

/** Names the customers type under an attestation (letters only, as the form asks). */
const NAMES = ['Alex Morgan', 'Sam Patel', 'Jo Williams', 'Chris Evans', 'Priya Shah', 'Niamh Kelly'];

/** A small clean one-page PDF, different per customer (the document store keeps one row per case and content). */
export function cleanPdf(i: number): Uint8Array {
  const body = [
    '%PDF-1.4',
    `% Closeout main job: proof of address for customer ${i}`,
    '1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj',
    '2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj',
    '3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj',
    'trailer <</Root 1 0 R>>',
    '%%EOF',
    '',
  ].join('\n');
  return new TextEncoder().encode(body);
}

class Stop extends Error {
  constructor(
    readonly outcome: JourneyOutcome,
    readonly where: string,
  ) {
    super(where);
  }
}

const where = (page: Page): string => `${page.status} ${headingOf(page)}`.trim();
const pathOf = (page: Page): string => new URL(page.url).pathname;

/** Walks the journey the customer's plan says from the link in their message; never throws. */
export async function walkJourney(o: {
  link: string;
  caseId: string;
  plan: CustomerPlan;
  mailboxes: SinkMailboxes;
}): Promise<JourneyRecord> {
  const browser = new CustomerBrowser();
  const record: JourneyRecord = {
    caseId: o.caseId,
    kind: o.plan.kind,
    action: o.plan.action,
    started: false,
    verified: false,
    outcome: 'error',
    refusedFirst: false,
    submissions: 0,
    codesRequested: 0,
    wrongCodes: 0,
    requests: 0,
    startedAt: Date.now(),
  };
  try {
    const actions = await openAndVerify(browser, o, record);
    record.verified = true;
    record.outcome = await choose(browser, actions, o.plan, record);
    record.finishedAt = Date.now();
  } catch (error) {
    if (error instanceof Stop) {
      record.outcome = error.outcome;
      record.stoppedAt = error.where;
    } else {
      record.outcome = 'error';
      record.stoppedAt = error instanceof Error ? error.message : String(error);
    }
  }
  record.requests = browser.requests;
  return record;
}

/** Link → Continue → the identity steps the pages ask for, until the actions page. */
async function openAndVerify(
  browser: CustomerBrowser,
  o: { link: string; plan: CustomerPlan; mailboxes: SinkMailboxes },
  record: JourneyRecord,
): Promise<Page> {
  let page = await browser.get(o.link);
  const open = formsTo(page, new URL(o.link).pathname)[0];
  if (page.status !== 200 || !open) throw new Stop('link-refused', where(page));
  page = await browser.submit(page, open);
  if (!pathOf(page).startsWith('/s/')) throw new Stop('link-refused', where(page));
  record.started = true;
  let code: string | undefined;
  for (let step = 0; step < 12; step++) {
    if (pathOf(page) === '/s/actions' && page.status === 200) return page;
    if (page.status >= 400 && page.status !== 422) {
      throw new Stop(
        page.status === 403 && record.wrongCodes >= 5 ? 'failed-verification' : 'stopped',
        where(page),
      );
    }
    const codeForm = formsTo(page, '/s/verify/code')[0];
    const sendForm = formsTo(page, '/s/verify/send-code')[0];
    const factsForm = formsTo(page, '/s/verify/facts')[0];
    if (codeForm && code !== undefined) {
      let typed = code;
      if (o.plan.kind === 'mistype-code') {
        // Five near misses: one digit off each time.
        record.wrongCodes += 1;
        typed = String((Number(code) + record.wrongCodes) % 1_000_000).padStart(6, '0');
      }
      page = await browser.submit(page, codeForm, { code: typed });
      continue;
    }
    if (sendForm) {
      const since = Date.now() - 1_000;
      record.codesRequested += 1;
      page = await browser.submit(page, sendForm);
      if (page.status !== 200) throw new Stop('stopped', where(page));
      code = await findOneTimeCode(o.mailboxes, o.plan.contact, since);
      if (code === undefined) throw new Stop('error', 'no one-time code reached the customer within 15 s');
      continue;
    }
    if (factsForm) {
      const asked = new Set(factsForm.querySelectorAll('input').map((i) => i.getAttribute('name')));
      const [y, m, d] = o.plan.knownFacts.dateOfBirth.split('-');
      page = await browser.submit(page, factsForm, {
        // Typed as the page's hint shows (27/03/1985) and a postcode as written on letters.
        ...(asked.has('dateOfBirth') ? { dateOfBirth: `${d}/${m}/${y}` } : {}),
        ...(asked.has('postalCode') ? { postalCode: o.plan.knownFacts.postalCode } : {}),
      });
      continue;
    }
    throw new Stop('stopped', where(page));
  }
  throw new Stop('stopped', `no actions page after the identity steps (${where(page)})`);
}

/** The customer's choice on the actions page. */
async function choose(
  browser: CustomerBrowser,
  page: Page,
  plan: CustomerPlan,
  record: JourneyRecord,
): Promise<JourneyOutcome> {
  if (plan.kind === 'decline') {
    const form = formsTo(page, '/s/actions/decline')[0];
    if (!form) throw new Stop('stopped', 'no decline form on the actions page');
    const done = await browser.submit(page, form, { reason: 'I would rather talk to someone' });
    return finished(done, 'declined');
  }
  if (plan.kind === 'stop-in-app') {
    const form = formsTo(page, '/s/opt-out')[0];
    if (!form) throw new Stop('stopped', 'no stop-messages form on the actions page');
    const done = await browser.submit(page, form);
    if (done.status !== 200) throw new Stop('stopped', where(done));
    return 'opted-out';
  }
  const offered = workflowAction(plan.workflowId, plan.action);
  const section = sectionOf(page, offered.label);
  if (!section) throw new Stop('not-offered', `${plan.action} not on the actions page`);
  const formPath = `/s/actions/${offered.id}`;
  const wrong = plan.kind === 'wrong-then-right' ? plan.wrongInput : undefined;

  let current = page;
  if (plan.input.processor)
    current = await throughProcessor(browser, current, offered.label, plan.input, wrong, record);
  else if (wrong) {
    const first = await browser.submit(
      current,
      formIn(current, offered.label, formPath),
      fill(current, offered.label, formPath, wrong, plan),
      files(wrong, plan),
    );
    if (first.status !== 422) throw new Stop('stopped', `the wrong first try was answered ${where(first)}`);
    record.refusedFirst = true;
    current = first;
  }
  const form = formIn(current, offered.label, formPath);
  const values = plan.input.processor ? {} : fill(current, offered.label, formPath, plan.input, plan);
  const attached = files(plan.input, plan);
  const taps = plan.kind === 'double-tap' ? 2 : 1;
  record.submissions = taps;
  const answers = await Promise.all(
    Array.from({ length: taps }, () => browser.submit(current, form, values, attached)),
  );
  return finished(answers[0]!, 'acted');
}

function finished(page: Page, outcome: JourneyOutcome): JourneyOutcome {
  if (pathOf(page) !== '/s/done' || page.status !== 200) throw new Stop('stopped', where(page));
  return outcome;
}

/** The section of the actions page headed with the action's label, as the customer finds it. */
function sectionOf(page: Page, label: string) {
  return page.root
    .querySelectorAll('section.action')
    .find((s) => s.querySelector('h2')?.text.trim() === label);
}

function formIn(page: Page, label: string, path: string) {
  const section = sectionOf(page, label);
  const form = section
    ?.querySelectorAll('form')
    .find((f) => new URL(f.getAttribute('action') || page.url, page.url).pathname === path);
  if (!form) throw new Stop('stopped', `no form of ${path} on the page (${where(page)})`);
  return form;
}

/** What the customer types into the action's form; a date "earliest" is the first the form's date field allows. */
function fill(
  page: Page,
  label: string,
  path: string,
  input: CustomerInput,
  plan: CustomerPlan,
): Record<string, string> {
  const form = formIn(page, label, path);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.form ?? {})) {
    if (value === 'earliest') {
      const min = form.querySelector(`input[name="${name}"]`)?.getAttribute('min');
      if (!min) throw new Stop('stopped', `the form's ${name} states no earliest date`);
      out[name] = min;
    } else out[name] = value;
  }
  const names = new Set(form.querySelectorAll('input').map((i) => i.getAttribute('name')));
  // A declaration to sign (kyc-refresh): the customer types their name and ticks the box.
  if (names.has('attestationName')) out['attestationName'] = NAMES[plan.index % NAMES.length]!;
  if (names.has('attestationAgree')) out['attestationAgree'] = 'yes';
  return out;
}

function files(input: CustomerInput, plan: CustomerPlan) {
  return input.document
    ? [
        {
          field: 'document',
          filename: `proof-${plan.index}.pdf`,
          contentType: 'application/pdf',
          bytes: cleanPdf(plan.index),
        },
      ]
    : [];
}

/**
 * The card or bank details go on the processor's hosted page (its own origin): follow the action's link there, type
 * them (a wrong first try refused on the processor's page), submit, follow its 303 back to the mini-app, which shows
 * the card or account's summary with a confirm form. Returns that page.
 */
async function throughProcessor(
  browser: CustomerBrowser,
  page: Page,
  label: string,
  input: CustomerInput,
  wrong: CustomerInput | undefined,
  record: JourneyRecord,
): Promise<Page> {
  const section = sectionOf(page, label)!;
  const link = section
    .querySelectorAll('a')
    .find((a) => /\/hosted\/card\?/.test(a.getAttribute('href') ?? ''));
  if (!link) throw new Stop('stopped', "no link to the processor's page in the action");
  let hosted = await browser.follow(page, link);
  const hostedForm = () => {
    const form = formsTo(hosted, '/hosted/card')[0];
    if (!form) throw new Stop('stopped', `the processor's page has no form (${where(hosted)})`);
    return form;
  };
  if (wrong?.processor) {
    hosted = await browser.submit(hosted, hostedForm(), { ...input.processor, ...wrong.processor });
    if (hosted.status !== 422)
      throw new Stop('stopped', `the processor answered the wrong card ${where(hosted)}`);
    record.refusedFirst = true;
  }
  const back = await browser.submit(hosted, hostedForm(), input.processor);
  if (back.status !== 200 || new URL(back.url).origin === new URL(hosted.url).origin)
    throw new Stop('stopped', `the processor did not send the customer back (${where(back)})`);
  return back;
}

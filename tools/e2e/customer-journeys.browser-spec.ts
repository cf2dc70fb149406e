/**
 * The customer's side of each seed workflow in real chromium on a phone (390×844), over the running services: an
 * upstream event through trigger-ingest's API states the customer's contact points, consents and known facts; the
 * orchestrator asks for outreach; messaging really sends the message (SMS to the simulated provider, email to the
 * devstack's SMTP sink) with the mini-app's link; the customer opens it, asks for a one-time code and reads it from
 * the same phone or inbox, types their date of birth and postcode when asked, and takes the workflow's action through
 * the mini-app's form (a card on the processor's hosted page, a plan, an address, a clean PDF with the declaration
 * signed). The case then completes with its writebacks applied at the simulated cores. Every page is screenshotted,
 * checked with axe (0 serious or critical violations) and, for the link, verify and actions pages, at 320 px.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { devstackEnv } from '../devstack/devstack-env';
import { launchBrowser, newPhone } from '../browser/browser';
import type { Recipient } from '../browser/journey';
import { workflowOutreach } from '../demo/scenarios';
import { zonesAt } from '../demo/time-zones';
import type { Cadence, CaseView } from './case-stack';
import {
  choosePlan,
  cleanPdf,
  confirmAddress,
  expectDone,
  openAndVerify,
  updateCard,
  uploadDocument,
  type IdentityStep,
} from './customer-pages';
import { CustomerStack } from './customer-stack';

jest.setTimeout(240_000);

/** No reminder and no expiry within a run: a reminder's new link would supersede the one the customer opened. */
const CUSTOMER_CADENCE: Cadence = {
  reminders: ['PT900S'],
  expiry: 'PT1800S',
  writebackLatencyCeiling: 'PT60S',
};

/** A test card of the simulated processor (Luhn-valid, never a real card), typed on its hosted page only. */
const TEST_CARD = '4242424242424242';
const CARD_EXPIRY_YEAR = String(new Date().getUTCFullYear() + 3);
const KNOWN_FACTS = { dateOfBirth: '1984-03-12', postalCode: 'LS1 4AP' };

let stack: CustomerStack;
let browser: Browser;
let n = 0;
// Messaging sends between 08:00 and 21:00 in the customer's zone: a zone where it is daytime now (and for a while).
const timeZone = ((zones) => (zones.daytime.includes('Europe/London') ? 'Europe/London' : zones.daytime[0]!))(
  zonesAt(Date.now(), 30),
);

beforeAll(async () => {
  stack = await new CustomerStack({
    // Every service exports its spans to the devstack's Zipkin (ZIPKIN_ENDPOINT), which the trace test reads back.
    env: { ...devstackEnv(), OTEL_TRACES_EXPORTER: 'zipkin' },
    cadence: CUSTOMER_CADENCE,
    // The five workflows write back over REST (card, documents) and SOAP (plan, address) only.
    writebackServices: ['writeback-rest', 'writeback-soap'],
    log: (line) => console.log(line),
  }).start();
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

beforeEach(() => {
  expect.hasAssertions();
});

interface Customer {
  customerId: string;
  email: string;
  phone: string;
  /** Where the workflow's first message goes: its first channel. */
  recipient: Recipient;
}

/** Opens a case: the upstream event with the customer's contact block (consent on the workflow's channels). */
async function openCase(
  workflowId: string,
  eventType: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ caseId: string; customer: Customer; since: Date }> {
  n += 1;
  const run = stack.runId;
  const outreach = workflowOutreach(workflowId);
  const email = `customer.${run}.${n}@example.com`;
  const phone = `+1500555${String(1000 + n)}`;
  const customer: Customer = {
    customerId: `cus-${run}-${n}`,
    email,
    phone,
    recipient: outreach.channels[0] === 'EMAIL' ? { email } : { phone, smsProviderUrl: stack.smsProviderUrl },
  };
  const since = new Date(Date.now() - 1_000);
  const res = await stack.cases.postTrigger(
    {
      sourceSystem: 'core-billing',
      eventId: `it-${run}-${n}`,
      eventType,
      occurredAt: new Date().toISOString(),
      customer: {
        customerId: customer.customerId,
        accountId: `40${String(n).padStart(8, '0')}`,
        timeZone,
        locale: 'en-GB',
        contact: {
          email,
          phone,
          timeZone,
          locale: 'en-GB',
          consents: outreach.channels
            .filter((c) => c !== 'WHATSAPP')
            .map((channel) => ({
              channel,
              purpose: outreach.purpose,
              granted: true,
              source: 'online-banking',
              statedAt: new Date(Date.now() - 86_400_000).toISOString(),
            })),
        },
        knownFacts: KNOWN_FACTS,
      },
      ...extra,
    },
    headers,
  );
  expect(res.status).toBe(202);
  return { caseId: res.body.caseId!, customer, since };
}

/** The case completed, every writeback APPLIED, each once in its core's own journal. */
async function expectCompleted(caseId: string, destinations: string[]): Promise<CaseView> {
  const view = await stack.cases.waitForState(caseId, ['COMPLETED'], 90_000);
  const live = view.writebacks.filter((w) => !w.superseded);
  expect(live.map((w) => w.destination).sort()).toEqual([...destinations].sort());
  for (const w of live) {
    expect({ writeback: w.writebackId, status: w.status }).toEqual({
      writeback: w.writebackId,
      status: 'APPLIED',
    });
    expect(w.providerRef).toBeTruthy();
    const journal =
      w.destination === 'core-banking-rest' ? stack.cases.rest.journal() : stack.cases.soap.journal();
    expect(journal.filter((e) => e.idempotencyKey === w.idempotencyKey)).toHaveLength(1);
  }
  return view;
}

/** The postings the case's writebacks made at the REST core. */
function restPostings(view: CaseView) {
  const keys = new Set(view.writebacks.map((w) => w.idempotencyKey));
  return stack.cases.rest.journal().filter((e) => e.idempotencyKey !== null && keys.has(e.idempotencyKey));
}

const reach = () => ({ miniappUrl: stack.miniappUrl, cardProcessorUrl: stack.cardProcessor.url });

describe('the five seed workflows through the mini-app in chromium', () => {
  /** Opens the case, walks the customer's journey on a fresh phone, and waits for the case to complete. */
  async function journey(o: {
    test: string;
    workflowId: string;
    eventType: string;
    extra?: Record<string, unknown>;
    javaScriptEnabled?: boolean;
    identity: IdentityStep[];
    act: (page: Page) => Promise<void>;
    destinations: string[];
    /** The upstream system's trace context, sent with the trigger. */
    traceparent?: string;
  }): Promise<CaseView> {
    const { caseId, customer, since } = await openCase(
      o.workflowId,
      o.eventType,
      o.extra,
      o.traceparent ? { traceparent: o.traceparent } : {},
    );
    const phone = await newPhone(browser, { javaScriptEnabled: o.javaScriptEnabled ?? true });
    try {
      const page = await phone.newPage();
      const steps = await openAndVerify(page, {
        reach: reach(),
        test: o.test,
        recipient: customer.recipient,
        since,
        knownFacts: KNOWN_FACTS,
      });
      expect(steps).toEqual(o.identity);
      await o.act(page);
      await expectDone(page, o.test);
    } finally {
      await phone.close();
    }
    return expectCompleted(caseId, o.destinations);
  }

  for (const javaScriptEnabled of [true, false]) {
    const js = `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`;
    it(`failed-payment-recovery (${js}): a new card through the processor's hosted page → COMPLETED, the card and the retried payment at the REST core, as a token`, async () => {
      const test = `failed payment, update card, ${js}`;
      const view = await journey({
        test,
        workflowId: 'failed-payment-recovery',
        eventType: 'billing.payment_failed',
        extra: {
          amount: { amountMinor: 4599, currency: 'GBP' },
          attributes: { declineReason: 'insufficient_funds' },
        },
        javaScriptEnabled,
        identity: ['code-sent', 'code-typed', 'facts'],
        act: (page) =>
          updateCard(page, {
            reach: reach(),
            test,
            workflowId: 'failed-payment-recovery',
            card: { number: TEST_CARD, expiryMonth: '09', expiryYear: CARD_EXPIRY_YEAR, cvc: '123' },
          }),
        destinations: ['core-banking-rest', 'core-banking-rest'],
      });
      const postings = restPostings(view);
      expect(postings.map((p) => p.operation).sort()).toEqual(['card.update', 'payment.post']);
      const card = postings.find((p) => p.operation === 'card.update')!.body as Record<string, unknown>;
      // The core's own wire format: the processor's token and the expiry typed on its page.
      expect(card).toMatchObject({
        card_token: expect.stringMatching(/^tok_[A-Za-z0-9]{24}$/),
        expiry: `${CARD_EXPIRY_YEAR}-09`,
      });
      // The token is the processor's: a Visa ending 4242. The card number itself never reached the core.
      expect((await stack.processorToken(card['card_token'] as string)).body).toMatchObject({
        brand: 'visa',
        last4: '4242',
      });
      expect(JSON.stringify(postings)).not.toContain(TEST_CARD);
    });
  }

  it('payment-plan-setup: a plan within the bounds → COMPLETED, the arrangement and the hold cleared at the SOAP core', async () => {
    const test = 'payment plan, choose a plan';
    await journey({
      test,
      workflowId: 'payment-plan-setup',
      eventType: 'collections.arrears_detected',
      extra: { amount: { amountMinor: 100001, currency: 'GBP' }, attributes: { arrearsDays: '45' } },
      identity: ['code-sent', 'code-typed', 'facts'],
      act: (page) => choosePlan(page, { test, workflowId: 'payment-plan-setup', optionIndex: 3 }),
      destinations: ['core-banking-soap', 'core-banking-soap'],
    });
  });

  it('address-update: the current address confirmed → COMPLETED, the address updated at the SOAP core', async () => {
    const test = 'address update, confirm address';
    await journey({
      test,
      workflowId: 'address-update',
      eventType: 'crm.mail_returned',
      identity: ['code-sent', 'code-typed', 'facts'],
      act: (page) =>
        confirmAddress(page, {
          test,
          workflowId: 'address-update',
          address: { line1: '12 High Street', city: 'Leeds', postalCode: 'ls1 1aa', country: 'GB' },
        }),
      destinations: ['core-banking-soap'],
    });
  });

  it('kyc-refresh: a clean PDF uploaded and the declaration signed → COMPLETED, the document attached and the flag cleared at the REST core', async () => {
    const test = 'kyc refresh, upload and sign';
    const view = await journey({
      test,
      workflowId: 'kyc-refresh',
      eventType: 'compliance.kyc_refresh_due',
      identity: ['code-sent', 'code-typed'],
      act: (page) =>
        uploadDocument(page, {
          test,
          workflowId: 'kyc-refresh',
          documentType: 'passport',
          file: { name: 'passport.pdf', mimeType: 'application/pdf', buffer: cleanPdf(`kyc ${stack.runId}`) },
          signAs: 'Alex Morgan',
        }),
      destinations: ['core-banking-rest', 'core-banking-rest'],
    });
    expect(
      restPostings(view)
        .map((p) => p.operation)
        .sort(),
    ).toEqual(['document.attach', 'flag.clear']);
  });

  /** document-collection's journey: the code, then a proof of address uploaded through the form. */
  const documentCollection = (test: string, traceparent?: string): Promise<CaseView> =>
    journey({
      test,
      workflowId: 'document-collection',
      eventType: 'onboarding.documents_missing',
      identity: ['code-sent', 'code-typed'],
      act: (page) =>
        uploadDocument(page, {
          test,
          workflowId: 'document-collection',
          documentType: 'proof_of_address',
          file: {
            name: 'proof-of-address.pdf',
            mimeType: 'application/pdf',
            buffer: cleanPdf(`${test} ${stack.runId}`),
          },
        }),
      destinations: ['core-banking-rest'],
      ...(traceparent ? { traceparent } : {}),
    });

  it('document-collection: a proof of address uploaded → COMPLETED, the document attached at the REST core', async () => {
    const view = await documentCollection('document collection, upload');
    expect(restPostings(view).map((p) => p.operation)).toEqual(['document.attach']);
  });

  it('one case is one trace in Zipkin: the trigger, the orchestrator, the message, the customer in the mini-app, the writeback with its call to the core, and the completion, each parented on the step before', async () => {
    const traceId = randomBytes(16).toString('hex');
    const upstreamSpanId = randomBytes(8).toString('hex');
    const view = await documentCollection(
      'document collection, one trace',
      `00-${traceId}-${upstreamSpanId}-01`,
    );
    const spans = await settledTrace(traceId, (found) =>
      found.some(
        (s) =>
          /^send case\.state/i.test(s.name ?? '') &&
          ancestorNames(found, s).some((n) => /^writeback send/i.test(n)),
      ),
    );
    const byId = new Map(spans.map((s) => [s.id, s]));
    // Every span hangs off another span of the trace, but the trigger's request: its parent is the upstream system's.
    const roots = spans.filter((s) => !s.parentId || !byId.has(s.parentId));
    expect(roots.map((s) => [s.localEndpoint?.serviceName, s.kind, s.parentId])).toEqual([
      ['trigger-ingest', 'SERVER', upstreamSpanId],
    ]);
    expect([...new Set(spans.map((s) => s.localEndpoint?.serviceName))].sort()).toEqual(
      expect.arrayContaining([
        'messaging',
        'mini-app-backend',
        'orchestrator',
        'trigger-ingest',
        'writeback-rest',
      ]),
    );
    // The call to the core: a CLIENT span of writeback-rest (closeout.core_call), inside the writeback's span.
    const coreCall = spans.find(
      (s) =>
        s.localEndpoint?.serviceName === 'writeback-rest' &&
        s.kind === 'CLIENT' &&
        s.tags?.['closeout.core_call'],
    );
    expect(coreCall).toBeDefined();
    expect(ancestorNames(spans, coreCall!)[0]).toMatch(/^writeback send/i);
    // The completion descends from the core call's writeback, which descends from the customer's action in the
    // mini-app, which descends from the message that carried the link, which descends from the trigger.
    const completion = spans.find(
      (s) =>
        /^send case\.state/i.test(s.name ?? '') &&
        ancestorNames(spans, s).some((n) => /^writeback send/i.test(n)),
    )!;
    const chain = ancestorNames(spans, completion);
    const at = (re: RegExp): number => chain.findIndex((n) => re.test(n));
    expect(at(/^writeback send/i)).toBeGreaterThanOrEqual(0);
    expect(at(/^miniapp post \/s\/actions/i)).toBeGreaterThan(at(/^writeback send/i));
    expect(at(/^process outreach\.event/i)).toBeGreaterThan(at(/^miniapp post \/s\/actions/i));
    expect(at(/^post \/v1\/triggers/i)).toBe(chain.length - 1);
    // The case's id is on its spans; the customer's contact points are on none.
    expect(spans.some((s) => s.tags?.['closeout.case_id'] === view.caseId)).toBe(true);
    const text = JSON.stringify(spans);
    expect(text).not.toContain(`customer.${stack.runId}`);
    expect(text).not.toContain('+1500555');
  });
});

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/** The names of a span's ancestors in the trace, nearest first. */
function ancestorNames(spans: ZipkinSpan[], span: ZipkinSpan): string[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const names: string[] = [];
  for (
    let p = span.parentId ? byId.get(span.parentId) : undefined;
    p;
    p = p.parentId ? byId.get(p.parentId) : undefined
  )
    names.push(p.name ?? '');
  return names;
}

/**
 * The trace from Zipkin's API once `done` holds and two reads a second apart agree (the services export in batches
 * every second).
 */
async function settledTrace(traceId: string, done: (spans: ZipkinSpan[]) => boolean): Promise<ZipkinSpan[]> {
  const url = `${devstackEnv()['ZIPKIN_URL']}/api/v2/trace/${traceId}`;
  const deadline = Date.now() + 30_000;
  let last = -1;
  for (;;) {
    const res = await fetch(url);
    // The stack names its processes after the run (it-<run>-<app>): each span's service is the app's name.
    const spans = (res.ok ? ((await res.json()) as ZipkinSpan[]) : []).map((span) => ({
      ...span,
      localEndpoint: { serviceName: span.localEndpoint?.serviceName?.replace(/^it-[0-9a-f]+-/, '') },
    }));
    if (done(spans) && spans.length === last) return spans;
    last = spans.length;
    if (Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }
}

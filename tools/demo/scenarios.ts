/**
 * The main job's sample: upstream events for the five seed workflows, the contact block each carries (contact
 * points, time zone, locale, consent statements), the known facts (date of birth, postcode) and how each simulated
 * customer behaves. Amounts, attributes,
 * contacts and choices vary with a seeded random source, so a run is reproducible (the time zones also follow the
 * clock: see time-zones.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './services';
import { localeOf, type ZoneChoice } from './time-zones';

export type PlanKind =
  | 'act'
  | 'double-tap'
  | 'wrong-then-right'
  | 'decline'
  | 'ignore'
  | 'reply-stop'
  | 'stop-in-app'
  | 'mistype-code';

/**
 * What a customer types to take an action through the mini-app's real pages: on the processor's hosted page (card or
 * bank details, never seen by Closeout), into the action's form, and whether they attach a small clean PDF.
 */
export interface CustomerInput {
  processor?: Record<string, string>;
  form?: Record<string, string>;
  document?: boolean;
}

/**
 * How the customer's contact block reads for messaging: consenting on their channels in a daytime zone (reachable),
 * no consent for the purpose (every message suppressed), or living where it is night (every message deferred by
 * quiet hours until after the run).
 */
export type Reach = 'reachable' | 'no-consent' | 'quiet-hours';

export type Channel = 'SMS' | 'EMAIL' | 'WHATSAPP';

/** The `customer.contact` block of a trigger (apps/trigger-ingest/README.md, "Contact block"). */
export interface ContactBlock {
  email?: string;
  phone?: string;
  timeZone: string;
  locale: string;
  consents: { channel: Channel; purpose: string; granted: boolean; source: string; statedAt: string }[];
}

/**
 * What the system of record knows that the customer can be asked to confirm (the trigger's `customer.knownFacts`,
 * apps/trigger-ingest/README.md): the simulated customer types the same into the mini-app.
 */
export interface KnownFacts {
  dateOfBirth: string;
  postalCode: string;
}

export interface CustomerPlan {
  kind: PlanKind;
  workflowId: string;
  reach: Reach;
  contact: ContactBlock;
  knownFacts: KnownFacts;
  /** The outreach attempt the customer answers (1: the first message, 2: the first reminder). */
  actOnAttempt: number;
  /** The action the customer takes (the eligible action of the workflow offering it) and what they type for it. */
  action: string;
  input: CustomerInput;
  /** What a customer who gets it wrong first types (refused, naming the field, by the form or the processor). */
  wrongInput?: CustomerInput;
  /** The customer's number in the run, e.g. for the name they type under an attestation. */
  index: number;
  /** How long after their message arrives the customer opens its link (people read first). */
  readsAfterMs: number;
}

export interface Scenario {
  workflowId: string;
  upstream(run: string, i: number, random: () => number, contact: ContactBlock): Record<string, unknown>;
  choices: {
    action: string;
    input: (i: number) => CustomerInput;
    wrong?: CustomerInput;
  }[];
}

/** Test cards of the simulated processor (Luhn-valid, never a real card), typed on its hosted page only. */
const TEST_CARDS = ['4242424242424242', '5555555555554444', '4000056655665556'];
const card = (i: number, expiryMonth = String(1 + (i % 12))): CustomerInput => ({
  processor: {
    cardNumber: TEST_CARDS[i % TEST_CARDS.length]!,
    expiryMonth,
    expiryYear: String(2028 + (i % 4)),
    cvc: String(100 + (i % 900)),
  },
});
const between = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

function event(
  run: string,
  i: number,
  eventType: string,
  contact: ContactBlock,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    sourceSystem: 'core-billing',
    eventId: `demo-${run}-${i}`,
    eventType,
    occurredAt: new Date().toISOString(),
    customer: {
      customerId: `cus-${run}-${i}`,
      accountId: `40${String(i).padStart(8, '0')}`,
      timeZone: contact.timeZone,
      locale: contact.locale,
      contact,
      knownFacts: knownFactsOf(run, i),
    },
    ...extra,
  };
}

const POSTCODE_AREAS = ['LS', 'M', 'B', 'EH', 'CF', 'BT', 'SW', 'NE'] as const;

/**
 * The customer's date of birth and postcode, from the run and the customer's number alone, so the trigger and the
 * simulated customer agree without passing them around: born 1940–2004, a UK-shaped postcode.
 */
export function knownFactsOf(run: string, i: number): KnownFacts {
  let h = 0;
  for (const c of `${run}:${i}`) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  // murmur3's finaliser: neighbouring customers get unrelated facts.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  const year = 1940 + (h % 65);
  const month = 1 + ((h >>> 7) % 12);
  const day = 1 + ((h >>> 11) % 28);
  const letter = (n: number) => String.fromCharCode(65 + (n % 26));
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    dateOfBirth: `${year}-${pad(month)}-${pad(day)}`,
    postalCode: `${POSTCODE_AREAS[(h >>> 3) % POSTCODE_AREAS.length]}${1 + ((h >>> 5) % 20)} ${(h >>> 9) % 10}${letter(h >>> 13)}${letter(h >>> 17)}`,
  };
}

/**
 * Hostile free text, as an attacker-style review planted it: test card numbers (Luhn-valid) and contact points in a
 * free-text attribute of one trigger in five of the failed-payment and arrears scenarios. trigger-ingest masks them; the personal-data scan after the run proves
 * none reached a table, topic, log, journal or metric label.
 */
const HOSTILE_NOTES = [
  'customer paid with 4111 1111 1111 1111, write to jane.doe@example.com',
  'card 5500-0000-0000-0004 declined; call +44 7700 900123',
  'amex 378282246310005 on file, alt contact j.smith@example.org / 020 7946 0958',
];

export function hostileAttributes(i: number): Record<string, string> {
  return i % 10 < 2 ? { customerNote: HOSTILE_NOTES[Math.floor(i / 10) % HOSTILE_NOTES.length]! } : {};
}

export const SCENARIOS: Scenario[] = [
  {
    workflowId: 'failed-payment-recovery',
    upstream: (run, i, random, contact) =>
      event(run, i, 'billing.payment_failed', contact, {
        amount: { amountMinor: between(random, 1_000, 60_000), currency: 'GBP' },
        // A few bounced for fraud: no self-service action is eligible, the case goes to an agent.
        attributes: {
          ...(random() < 0.03
            ? { declineReason: 'fraud_suspected' }
            : { declineReason: 'insufficient_funds' }),
          ...hostileAttributes(i),
        },
      }),
    choices: [
      // A card number with a wrong check digit first, refused on the processor's page.
      { action: 'payment.authorize', input: card, wrong: { processor: { cardNumber: '4242424242424241' } } },
      // An expiry month of 13 first, refused on the processor's page.
      { action: 'card.update', input: (i) => card(i, '9'), wrong: card(0, '13') },
      {
        action: 'payment.bank_transfer',
        input: (i) => ({
          processor: { sortCode: '400000', accountNumber: String(10_000_000 + (i % 89_999_999)) },
        }),
      },
    ],
  },
  {
    workflowId: 'payment-plan-setup',
    upstream: (run, i, random, contact) =>
      event(run, i, 'collections.arrears_detected', contact, {
        amount: { amountMinor: between(random, 5_000, 300_000), currency: 'GBP' },
        attributes: { arrearsDays: String(between(random, 10, 170)), ...hostileAttributes(i) },
      }),
    choices: [
      {
        // The first due date is picked from the form's own bounds (firstDueDate: 'earliest').
        action: 'plan.choose',
        input: (i) => ({ form: { installments: String(1 + (i % 6)), firstDueDate: 'earliest' } }),
        // More installments than the workflow allows, refused by the form naming the field.
        wrong: { form: { installments: '99', firstDueDate: 'earliest' } },
      },
      { action: 'payment.authorize', input: card },
    ],
  },
  {
    workflowId: 'kyc-refresh',
    upstream: (run, i, _random, contact) => event(run, i, 'compliance.kyc_refresh_due', contact),
    choices: [
      {
        action: 'document.upload',
        input: () => ({ form: { documentType: 'passport' }, document: true }),
        // Submitted without the file first: refused naming the document field.
        wrong: { form: { documentType: 'passport' }, document: false },
      },
    ],
  },
  {
    workflowId: 'address-update',
    upstream: (run, i, _random, contact) => event(run, i, 'crm.mail_returned', contact),
    choices: [
      {
        action: 'address.confirm',
        input: (i) => ({
          form: {
            line1: `${1 + (i % 200)} High Street`,
            city: 'Leeds',
            postalCode: 'ls1 1aa',
            country: 'GB',
          },
        }),
      },
    ],
  },
  {
    workflowId: 'document-collection',
    upstream: (run, i, _random, contact) => event(run, i, 'onboarding.documents_missing', contact),
    choices: [
      {
        action: 'document.upload',
        input: () => ({ form: { documentType: 'proof_of_address' }, document: true }),
      },
    ],
  },
];

/** A workflow's outreach as its seed definition states it: the purpose consent is asked for and the channel order. */
export interface WorkflowOutreach {
  purpose: string;
  channels: Channel[];
}

/** An action a seed workflow offers: its id and the label the mini-app shows as its heading. */
export interface WorkflowAction {
  id: string;
  action: string;
  label: string;
}

let seedsById: Map<string, { outreach: WorkflowOutreach; actions: WorkflowAction[] }> | undefined;

function seeds(): Map<string, { outreach: WorkflowOutreach; actions: WorkflowAction[] }> {
  seedsById ??= new Map(
    readdirSync(join(repoRoot, 'apps', 'orchestrator', 'workflows'))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => {
        const doc = parse(readFileSync(join(repoRoot, 'apps', 'orchestrator', 'workflows', f), 'utf8')) as {
          id: string;
          outreach: WorkflowOutreach;
          actions: WorkflowAction[];
        };
        return [
          doc.id,
          {
            outreach: { purpose: doc.outreach.purpose, channels: doc.outreach.channels },
            actions: doc.actions.map((a) => ({ id: a.id, action: a.action, label: a.label })),
          },
        ] as const;
      }),
  );
  return seedsById;
}

/** The seed definition's outreach (apps/orchestrator/workflows): consents follow what each workflow asks for. */
export function workflowOutreach(workflowId: string): WorkflowOutreach {
  const found = seeds().get(workflowId);
  if (!found) throw new Error(`workflowId: no seed workflow definition has id ${workflowId}`);
  return found.outreach;
}

/** The seed workflow's action of that kind: the customer looks for its label on the mini-app's page. */
export function workflowAction(workflowId: string, action: string): WorkflowAction {
  const found = seeds()
    .get(workflowId)
    ?.actions.find((a) => a.action === action);
  if (!found) throw new Error(`action: the seed workflow ${workflowId} offers no ${action}`);
  return found;
}

/** Shares of the sample, drawn per customer. */
const NO_CONSENT = 0.025;
const QUIET_HOURS = 0.025;
/** Of the customers whose first message is an SMS. */
const REPLY_STOP = 0.03;
const DAY_MS = 86_400_000;

/**
 * The customer's contact block: test contact points only (an example.com address, a +1 500 555 number: Twilio's
 * test range), unique within the run; a daytime zone for most, a night-time one for the quiet-hours share; consent
 * statements for the workflow's purpose on each channel the customer can be reached on (refusals for the no-consent
 * share). A customer who will reply STOP has a phone and consents to SMS.
 */
function contactOf(
  i: number,
  run: string,
  outreach: WorkflowOutreach,
  reach: Reach,
  replyStop: boolean,
  zones: ZoneChoice,
  random: () => number,
): ContactBlock {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const r = random();
  const points = replyStop ? 'both' : r < 0.8 ? 'both' : r < 0.9 ? 'email' : 'phone';
  const email = points !== 'phone' ? `customer.${run}.${i}@example.com` : undefined;
  // +1 500 555 1000..9999: +1 500 555 0006 is the sender's number.
  const phone = points !== 'email' ? `+1500555${String(1000 + (i % 9000))}` : undefined;
  const timeZone =
    reach === 'quiet-hours'
      ? pick(zones.night)
      : zones.daytime.includes('Europe/London') && random() < 0.7
        ? 'Europe/London'
        : pick(zones.daytime);
  const statedAt = new Date(Date.now() - between(random, 1, 400) * DAY_MS).toISOString();
  const reachable = (c: Channel) => (c === 'EMAIL' ? email !== undefined : phone !== undefined);
  return {
    ...(email !== undefined ? { email } : {}),
    ...(phone !== undefined ? { phone } : {}),
    timeZone,
    locale: localeOf(timeZone),
    consents: outreach.channels.filter(reachable).map((channel) => ({
      channel,
      purpose: outreach.purpose,
      granted: reach !== 'no-consent',
      source: pick(['online-banking', 'branch', 'mobile-app']),
      statedAt,
    })),
  };
}

let counter = 0;

/**
 * Most customers act on the first message, some after a reminder; a few decline, tap twice, get it wrong first,
 * never answer, mistype the one-time code five times (the case goes to the exception queue as VERIFICATION_FAILED),
 * stop messages from the mini-app's page, or reply STOP to the first SMS. A few cannot be reached during the run (no consent, or night where
 * they live): whatever they would do, no message reaches them.
 */
export function customerPlan(
  scenario: Scenario,
  i: number,
  run: string,
  zones: ZoneChoice,
  random: () => number,
): CustomerPlan {
  counter += 1;
  const choice = scenario.choices[Math.floor(random() * scenario.choices.length)]!;
  const r = random();
  const outreach = workflowOutreach(scenario.workflowId);
  const rr = random();
  const reach: Reach =
    rr < NO_CONSENT
      ? 'no-consent'
      : rr < NO_CONSENT + QUIET_HOURS && zones.night.length > 0
        ? 'quiet-hours'
        : 'reachable';
  const replyStop = reach === 'reachable' && outreach.channels[0] === 'SMS' && random() < REPLY_STOP;
  const kind: PlanKind = replyStop
    ? 'reply-stop'
    : r < 0.05
      ? 'ignore'
      : r < 0.08
        ? 'mistype-code'
        : r < 0.1
          ? 'stop-in-app'
          : r < 0.14
            ? 'decline'
            : r < 0.18
              ? 'double-tap'
              : r < 0.22 && choice.wrong
                ? 'wrong-then-right'
                : 'act';
  return {
    kind,
    workflowId: scenario.workflowId,
    reach,
    contact: contactOf(i, run, outreach, reach, replyStop, zones, random),
    knownFacts: knownFactsOf(run, i),
    actOnAttempt: random() < 0.15 ? 2 : 1,
    action: choice.action,
    input: choice.input(counter),
    ...(choice.wrong ? { wrongInput: choice.wrong } : {}),
    index: i,
    readsAfterMs: 2_000 + Math.floor(random() * 3_000),
  };
}

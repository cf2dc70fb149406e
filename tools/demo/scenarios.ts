/**
 * The main job's sample: upstream events for the five seed workflows and how each simulated customer behaves.
 * Amounts, attributes and choices vary with a seeded random source, so a run is reproducible.
 */

export type PlanKind = 'act' | 'double-tap' | 'wrong-then-right' | 'decline' | 'ignore';

export interface CustomerPlan {
  kind: PlanKind;
  /** The outreach attempt the customer answers (1: the first message, 2: the first reminder). */
  actOnAttempt: number;
  action: string;
  parameters: Record<string, string>;
  /** What a customer who gets it wrong first submits (refused by the workflow's rules). */
  wrongParameters?: Record<string, string>;
}

export interface Scenario {
  workflowId: string;
  upstream(run: string, i: number, random: () => number): Record<string, unknown>;
  choices: {
    action: string;
    parameters: (i: number) => Record<string, string>;
    wrong?: Record<string, string>;
  }[];
}

const SHA = (i: number) => i.toString(16).padStart(64, '0');
const between = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

function event(
  run: string,
  i: number,
  eventType: string,
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
      timeZone: 'Europe/London',
    },
    ...extra,
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
    upstream: (run, i, random) =>
      event(run, i, 'billing.payment_failed', {
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
      { action: 'payment.authorize', parameters: (i) => ({ paymentMethodToken: `pm_tok_${i}` }), wrong: {} },
      {
        action: 'card.update',
        parameters: (i) => ({ cardToken: `card_tok_${i}`, expiryMonth: '9', expiryYear: '2029' }),
        wrong: { cardToken: 'card_tok_x', expiryMonth: '13', expiryYear: '2029' },
      },
      { action: 'payment.bank_transfer', parameters: (i) => ({ paymentMethodToken: `bank_tok_${i}` }) },
    ],
  },
  {
    workflowId: 'payment-plan-setup',
    upstream: (run, i, random) =>
      event(run, i, 'collections.arrears_detected', {
        amount: { amountMinor: between(random, 5_000, 300_000), currency: 'GBP' },
        attributes: { arrearsDays: String(between(random, 10, 170)), ...hostileAttributes(i) },
      }),
    choices: [
      {
        action: 'plan.choose',
        parameters: (i) => ({ installments: String(1 + (i % 6)), firstDueDate: '2027-02-01' }),
        wrong: { installments: '9', firstDueDate: '2027-02-01' },
      },
      { action: 'payment.authorize', parameters: (i) => ({ paymentMethodToken: `pm_tok_${i}` }) },
    ],
  },
  {
    workflowId: 'kyc-refresh',
    upstream: (run, i) => event(run, i, 'compliance.kyc_refresh_due'),
    choices: [
      {
        action: 'document.upload',
        parameters: (i) => ({ documentType: 'passport', documentRef: `docs/kyc/${i}.pdf`, sha256: SHA(i) }),
        wrong: { documentType: 'selfie', documentRef: 'x', sha256: SHA(1) },
      },
    ],
  },
  {
    workflowId: 'address-update',
    upstream: (run, i) => event(run, i, 'crm.mail_returned'),
    choices: [
      {
        action: 'address.confirm',
        parameters: (i) => ({
          line1: `${1 + (i % 200)} High Street`,
          city: 'Leeds',
          postalCode: 'LS1 1AA',
          country: 'GB',
        }),
      },
    ],
  },
  {
    workflowId: 'document-collection',
    upstream: (run, i) => event(run, i, 'onboarding.documents_missing'),
    choices: [
      {
        action: 'document.upload',
        parameters: (i) => ({
          documentType: 'proof_of_address',
          documentRef: `docs/onboarding/${i}.pdf`,
          sha256: SHA(i),
        }),
      },
    ],
  },
];

let counter = 0;

/** Most customers act on the first message, some after a reminder; a few decline, tap twice, get it wrong first, or never answer. */
export function customerPlan(scenario: Scenario, random: () => number): CustomerPlan {
  counter += 1;
  const choice = scenario.choices[Math.floor(random() * scenario.choices.length)]!;
  const r = random();
  const kind: PlanKind =
    r < 0.06
      ? 'ignore'
      : r < 0.1
        ? 'decline'
        : r < 0.14
          ? 'double-tap'
          : r < 0.18 && choice.wrong
            ? 'wrong-then-right'
            : 'act';
  return {
    kind,
    actOnAttempt: random() < 0.15 ? 2 : 1,
    action: choice.action,
    parameters: choice.parameters(counter),
    ...(choice.wrong ? { wrongParameters: choice.wrong } : {}),
  };
}

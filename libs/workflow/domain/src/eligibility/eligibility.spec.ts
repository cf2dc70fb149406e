import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDirectory, SEED_DIR } from '../test-support/fixture-files';
import type { WorkflowDefinition } from '../definition/workflow-definition.schema';
import { FactsMismatchError, WorkflowDefinitionError } from '../errors';
import type { ActionFacts, CaseFacts } from '../facts/case-facts';
import { EligibilityPolicy, eligibilityPolicyFor } from './eligibility';

const seeds = readDirectory(SEED_DIR);
const customers = join(__dirname, 'fixtures', 'customers');

interface CustomerFixture {
  description: string;
  facts: CaseFacts;
  /** The action ids the rules must offer this customer, in definition order. */
  offered: string[];
  /** For an action not offered: a phrase its reason must contain. */
  reasons?: Record<string, string>;
}

const fixturesIn = (kind: 'ok' | 'not-ok'): [string, CustomerFixture][] =>
  readdirSync(join(customers, kind))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [
      `${kind}/${f}`,
      JSON.parse(readFileSync(join(customers, kind, f), 'utf8')) as CustomerFixture,
    ]);

const policyOf = (id: string): EligibilityPolicy => eligibilityPolicyFor(seeds.latest(id));

describe('eligibility: the eligible set for a sample customer matches the rules', () => {
  it('has an ok and a not-ok customer for every seed workflow', () => {
    for (const kind of ['ok', 'not-ok'] as const) {
      expect(new Set(fixturesIn(kind).map(([, f]) => f.facts.workflowId))).toEqual(new Set(seeds.ids()));
    }
  });

  it.each([...fixturesIn('ok'), ...fixturesIn('not-ok')])('%s', async (_name, fixture) => {
    const offered = await policyOf(fixture.facts.workflowId).offeredActions(fixture.facts);
    expect(offered.filter((o) => o.eligible).map((o) => o.actionId)).toEqual(fixture.offered);
    for (const [actionId, phrase] of Object.entries(fixture.reasons ?? {})) {
      const entry = offered.find((o) => o.actionId === actionId);
      expect(entry?.eligible).toBe(false);
      expect(entry?.reason).toContain(phrase);
      expect(entry?.ruleId).toBe(`${fixture.facts.workflowId}@v1/actions/${actionId}/eligibility`);
    }
  });

  it('gives every concurrent evaluation of one policy its own verdict (a batch evaluates many cases at once)', async () => {
    const all = [...fixturesIn('ok'), ...fixturesIn('not-ok')].map(([, f]) => f);
    const runs = Array.from({ length: 20 }, () => all).flat();
    const verdicts = await Promise.all(runs.map((f) => policyOf(f.facts.workflowId).offeredActions(f.facts)));
    verdicts.forEach((offered, i) => {
      expect(offered.filter((o) => o.eligible).map((o) => o.actionId)).toEqual(runs[i]!.offered);
    });
  });

  it('names the rule and says every condition held for an offered action', async () => {
    const [, fixture] = fixturesIn('ok').find(([n]) => n.includes('gbp-card-customer'))!;
    const [payNow] = await policyOf('failed-payment-recovery').offeredActions(fixture.facts);
    expect(payNow).toEqual({
      actionId: 'pay-now',
      action: 'payment.authorize',
      eligible: true,
      ruleId: 'failed-payment-recovery@v1/actions/pay-now/eligibility',
      reason: 'every eligibility condition holds',
    });
  });
});

describe('checkAction', () => {
  const plan = policyOf('payment-plan-setup');
  const [, inArrears] = fixturesIn('ok').find(([n]) => n.includes('arrears-90-days'))!;
  const [, over180] = fixturesIn('not-ok').find(([n]) => n.includes('over-180-days'))!;
  const choosePlan = (
    parameters: Record<string, string>,
    identityMethod: ActionFacts['identityMethod'] = 'OTP_AND_KNOWN_FACT',
  ): ActionFacts => ({
    action: 'plan.choose',
    parameters,
    consentRef: 'consent-7f3a',
    identityMethod,
  });
  const threeMonths = { installments: '3', firstDueDate: '2025-07-01' };

  it('allows an eligible action with good parameters and strong enough identity', async () => {
    expect(await plan.checkAction(inArrears.facts, choosePlan(threeMonths))).toEqual({
      allowed: true,
      actionId: 'choose-plan',
      ruleId: 'payment-plan-setup@v1/actions/choose-plan',
      reasons: [],
    });
  });

  it('refuses 7 installments, naming the parameter rule', async () => {
    const check = await plan.checkAction(inArrears.facts, choosePlan({ ...threeMonths, installments: '7' }));
    expect(check.allowed).toBe(false);
    expect(check.ruleId).toBe('payment-plan-setup@v1/actions/choose-plan/parameters');
    expect(check.reasons).toEqual([
      'payment-plan-setup@v1/actions/choose-plan/parameters: plans of 1 to 6 installments: parameters.installments is "7", must be a number at most 6',
    ]);
  });

  it('refuses installments that are not a number rather than comparing text', async () => {
    const check = await plan.checkAction(
      inArrears.facts,
      choosePlan({ ...threeMonths, installments: 'six' }),
    );
    expect(check.allowed).toBe(false);
    expect(check.reasons.join('\n')).toContain(
      'parameters.installments is "six", must be a number at least 1',
    );
  });

  it('refuses missing parameters', async () => {
    const check = await plan.checkAction(inArrears.facts, choosePlan({ installments: '2' }));
    expect(check.reasons).toEqual([
      'payment-plan-setup@v1/actions/choose-plan/parameters: parameters.firstDueDate is missing, must be present',
    ]);
  });

  it('refuses an action the case is not eligible for, naming the eligibility rule', async () => {
    const check = await plan.checkAction(over180.facts, choosePlan(threeMonths));
    expect(check.allowed).toBe(false);
    expect(check.ruleId).toBe('payment-plan-setup@v1/actions/choose-plan/eligibility');
    expect(check.reasons[0]).toMatch(
      /^payment-plan-setup@v1\/actions\/choose-plan\/eligibility: none of these holds: .*arrearsDays is "200"/,
    );
  });

  it('refuses identity weaker than the action requires (OTP for a plan that moves money)', async () => {
    const check = await plan.checkAction(inArrears.facts, choosePlan(threeMonths, 'OTP'));
    expect(check).toEqual({
      allowed: false,
      actionId: 'choose-plan',
      ruleId: 'payment-plan-setup@v1/actions/choose-plan/identity',
      reasons: [
        'payment-plan-setup@v1/actions/choose-plan/identity: identity OTP is weaker than the required OTP_AND_KNOWN_FACT',
      ],
    });
  });

  it('lets OTP_AND_KNOWN_FACT satisfy a workflow that asks for OTP, and refuses KNOWN_FACT for it', async () => {
    const [, kycCase] = fixturesIn('ok').find(([n]) => n.includes('kyc-refresh'))!;
    const kyc = policyOf('kyc-refresh');
    const upload = (identityMethod: ActionFacts['identityMethod']): ActionFacts => ({
      action: 'document.upload',
      parameters: {
        documentType: 'passport',
        documentRef: 'miniapp-documents/case-kyc-1/passport.pdf',
        sha256: 'ab'.repeat(32),
      },
      consentRef: null,
      identityMethod,
    });
    expect((await kyc.checkAction(kycCase.facts, upload('OTP_AND_KNOWN_FACT'))).allowed).toBe(true);
    expect((await kyc.checkAction(kycCase.facts, upload('KNOWN_FACT'))).ruleId).toBe(
      'kyc-refresh@v1/actions/upload-documents/identity',
    );
  });

  it('refuses an action name the workflow does not define', async () => {
    const check = await plan.checkAction(inArrears.facts, {
      ...choosePlan(threeMonths),
      action: 'loan.apply',
    });
    expect(check).toEqual({
      allowed: false,
      ruleId: 'payment-plan-setup@v1/actions',
      reasons: [
        'payment-plan-setup@v1/actions: action "loan.apply" is not defined by this workflow (it offers plan.choose, payment.authorize)',
      ],
    });
  });

  it('lists every refusal at once, each naming its rule', async () => {
    const check = await plan.checkAction(
      over180.facts,
      choosePlan({ ...threeMonths, installments: '12' }, 'OTP'),
    );
    expect(check.reasons.map((r) => r.slice(0, r.indexOf(': ')))).toEqual([
      'payment-plan-setup@v1/actions/choose-plan/eligibility',
      'payment-plan-setup@v1/actions/choose-plan/parameters',
      'payment-plan-setup@v1/actions/choose-plan/identity',
    ]);
  });

  it('refuses the facts of another workflow', async () => {
    await expect(plan.offeredActions({ ...inArrears.facts, workflowId: 'kyc-refresh' })).rejects.toThrow(
      FactsMismatchError,
    );
  });
});

describe('EligibilityPolicy compilation', () => {
  const withEligibility = (eligibility: unknown): WorkflowDefinition => {
    const definition = structuredClone(seeds.latest('document-collection'));
    (definition.actions[0] as { eligibility: unknown }).eligibility = eligibility;
    return definition;
  };

  it('is a definition error naming the condition when an operator is unknown', () => {
    expect(
      () =>
        new EligibilityPolicy(
          withEligibility({
            all: [{ fact: 'trigger', path: '$.amount.amountMinor', operator: 'atMost', value: 1 }],
          }),
        ),
    ).toThrow(
      /^document-collection@v1: actions\[0\]\.eligibility\.all\[0\]\.operator: unknown operator "atMost"/,
    );
  });

  it('is a definition error when the engine cannot read the condition', () => {
    let error: unknown;
    try {
      new EligibilityPolicy(withEligibility({ all: [{ any: 'trigger' }] }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    expect((error as WorkflowDefinitionError).problems).toEqual([
      {
        source: 'document-collection@v1',
        path: 'actions[0].eligibility.all[0].any',
        rule: 'must be a non-empty list of conditions',
      },
    ]);
  });

  it('compiles each definition once', () => {
    const definition = seeds.latest('kyc-refresh');
    expect(eligibilityPolicyFor(definition)).toBe(eligibilityPolicyFor(definition));
  });
});

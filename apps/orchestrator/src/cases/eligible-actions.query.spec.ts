import type { ConditionTree } from '@closeout/workflow-domain';
import { caseRecord, seedDefinition } from '../test-support/scripted-tx';
import type { OfferedAction } from './case-record';
import { eligibleActionsOf, flattenParameterRules } from './eligible-actions.query';

const tree = (t: unknown) => t as ConditionTree;
const spec = (workflowId: string, actionId: string) =>
  seedDefinition(workflowId).actions.find((a) => a.id === actionId)!;

describe('flattenParameterRules', () => {
  it('failed-payment-recovery update-card: every parameter condition of its all-chain, path $.x as field x', () => {
    expect(flattenParameterRules(spec('failed-payment-recovery', 'update-card').parameterRules)).toEqual([
      { field: 'cardToken', operator: 'present', value: true },
      { field: 'expiryMonth', operator: 'numberGreaterThanInclusive', value: 1 },
      { field: 'expiryMonth', operator: 'numberLessThanInclusive', value: 12 },
      { field: 'expiryYear', operator: 'numberGreaterThanInclusive', value: 2025 },
      { field: 'expiryYear', operator: 'numberLessThanInclusive', value: 2099 },
    ]);
  });

  it('payment-plan-setup choose-plan: a named nested all is followed into, in order', () => {
    expect(flattenParameterRules(spec('payment-plan-setup', 'choose-plan').parameterRules)).toEqual([
      { field: 'installments', operator: 'numberGreaterThanInclusive', value: 1 },
      { field: 'installments', operator: 'numberLessThanInclusive', value: 6 },
      { field: 'firstDueDate', operator: 'present', value: true },
    ]);
  });

  it('skips any and not branches, other facts, nested paths and conditions without a path', () => {
    const rules = flattenParameterRules(
      tree({
        all: [
          { fact: 'parameters', path: '$.a', operator: 'equal', value: 'x' },
          {
            any: [
              { fact: 'parameters', path: '$.b', operator: 'present', value: true },
              { fact: 'parameters', path: '$.c', operator: 'present', value: true },
            ],
          },
          { not: { fact: 'parameters', path: '$.d', operator: 'equal', value: 'no' } },
          { fact: 'trigger', path: '$.amount.amountMinor', operator: 'lessThanInclusive', value: 5 },
          { fact: 'parameters', path: '$.e.f', operator: 'present', value: true },
          { fact: 'parameters', operator: 'present', value: true },
          { all: [{ all: [{ fact: 'parameters', path: '$.g', operator: 'in', value: ['1', '2'] }] }] },
        ],
      }),
    );
    expect(rules).toEqual([
      { field: 'a', operator: 'equal', value: 'x' },
      { field: 'g', operator: 'in', value: ['1', '2'] },
    ]);
  });

  it('a tree that is not an all-chain, or none at all, has no rules to flatten', () => {
    expect(
      flattenParameterRules(
        tree({ any: [{ fact: 'parameters', path: '$.a', operator: 'present', value: true }] }),
      ),
    ).toEqual([]);
    expect(flattenParameterRules(undefined)).toEqual([]);
  });
});

describe('eligibleActionsOf', () => {
  const definition = seedDefinition('payment-plan-setup');
  const offered: OfferedAction[] = definition.actions.map((a, i) => ({
    actionId: a.id,
    action: a.action,
    eligible: i === 0,
    ruleId: `payment-plan-setup@v1/actions/${a.id}/eligibility`,
    reason: i === 0 ? 'eligible' : 'not eligible',
  }));
  const record = (state: 'AWAITING_CUSTOMER' | 'OUTREACH' | 'EXCEPTION' | 'COMPLETED') => {
    const r = caseRecord({ workflowId: 'payment-plan-setup', state, offeredActions: offered });
    r.facts.trigger.amount = { amountMinor: 120_000, currency: 'GBP' };
    return r;
  };

  it('awaiting the customer: only the eligible actions, with label, their own identity and parameter rules', () => {
    const view = eligibleActionsOf(record('AWAITING_CUSTOMER'), definition);
    expect(view).toEqual({
      caseId: 'case-1',
      workflowId: 'payment-plan-setup',
      definitionVersion: '1',
      state: 'AWAITING_CUSTOMER',
      awaitingCustomer: true,
      identity: { method: 'OTP' },
      amount: { amountMinor: 120_000, currency: 'GBP' },
      actions: [
        {
          actionId: 'choose-plan',
          action: 'plan.choose',
          label: 'Choose a payment plan',
          identity: 'OTP_AND_KNOWN_FACT',
          parameterRules: flattenParameterRules(definition.actions[0]!.parameterRules),
        },
      ],
    });
  });

  it('an action without its own identity check takes the workflow’s', () => {
    const kyc = seedDefinition('kyc-refresh');
    const r = caseRecord({
      state: 'OUTREACH',
      offeredActions: kyc.actions.map((a) => ({
        actionId: a.id,
        action: a.action,
        eligible: true,
        ruleId: 'r',
        reason: 'eligible',
      })),
    });
    const view = eligibleActionsOf(r, kyc);
    expect(view.awaitingCustomer).toBe(true);
    expect(view.amount).toBeNull();
    expect(view.actions.map((a) => a.identity)).toEqual(kyc.actions.map(() => kyc.identity.method));
  });

  it.each(['EXCEPTION', 'COMPLETED'] as const)('%s: not awaiting the customer, so no actions', (state) => {
    const view = eligibleActionsOf(record(state), definition);
    expect(view).toMatchObject({ state, awaitingCustomer: false, actions: [] });
  });
});

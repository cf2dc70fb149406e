import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, CONTRACT_VERSION, idempotencyKey } from '@closeout/writeback-domain';
import { readDirectory, SEED_DIR } from '../test-support/fixture-files';
import type { WorkflowDefinition, WritebackSpec } from '../definition/workflow-definition.schema';
import { FactsMismatchError, type WorkflowError } from '../errors';
import type { ActionFacts, CaseFacts } from '../facts/case-facts';
import { buildActionWritebacks, buildWriteback } from './build-writeback';

const seeds = readDirectory(SEED_DIR);
const fixtures = join(__dirname, 'fixtures');

interface WritebackFixture {
  workflow: string;
  actionId: string;
  facts: CaseFacts;
  actionFacts: ActionFacts;
  expected?: { writebackId: string; payload: unknown }[];
  error?: { code: string; message: string };
}

const read = (kind: 'ok' | 'not-ok'): [string, WritebackFixture][] =>
  readdirSync(join(fixtures, kind))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(fixtures, kind, f), 'utf8')) as WritebackFixture]);

const planFixture = read('ok').find(([f]) => f === 'payment-plan-three-installments.json')![1];
const plan = seeds.latest('payment-plan-setup');
const arrangementSpec = (definition: WorkflowDefinition): WritebackSpec =>
  definition.actions[0]!.writebacks[0]!;
const withAmount = (amountMinor: number, installments: string) =>
  [
    {
      ...planFixture.facts,
      trigger: { ...planFixture.facts.trigger, amount: { amountMinor, currency: 'GBP' } },
    },
    { ...planFixture.actionFacts, parameters: { ...planFixture.actionFacts.parameters, installments } },
  ] as const;

describe('buildWriteback', () => {
  it.each(read('ok'))('ok/%s: builds the expected canonical payloads from the facts', (_file, fixture) => {
    const built = buildActionWritebacks(
      seeds.latest(fixture.workflow),
      fixture.actionId,
      fixture.facts,
      fixture.actionFacts,
    );
    const described = built.map((w) => ({
      writebackId: w.writebackId,
      destination: w.destination,
      protocol: w.protocol,
      operation: w.operation,
      mappingVersion: w.mappingVersion,
      required: w.required,
      payload: w.payload,
    }));
    expect(described).toEqual(fixture.expected);
    for (const w of built) {
      expect(w.contractVersion).toBe(CONTRACT_VERSION);
      expect(w.payloadJson).toBe(canonicalJson(w.payload));
    }
  });

  it.each(read('not-ok'))('not-ok/%s: names the field and the rule', (_file, fixture) => {
    let error: unknown;
    try {
      buildActionWritebacks(
        seeds.latest(fixture.workflow),
        fixture.actionId,
        fixture.facts,
        fixture.actionFacts,
      );
    } catch (e) {
      error = e;
    }
    expect((error as WorkflowError).code).toBe(fixture.error?.code);
    expect((error as WorkflowError).message).toBe(fixture.error?.message);
  });

  describe('moneyDividedBy rounds the installment up in integer arithmetic', () => {
    it.each([
      [100001, '3', 33334],
      [100000, '4', 25000],
      [100002, '3', 33334],
      [1, '6', 1],
      [500, '6', 84],
      [Number.MAX_SAFE_INTEGER, '2', 4503599627370496],
    ])('%i minor units over %s installments → %i each', (amountMinor, installments, each) => {
      const [facts, action] = withAmount(amountMinor, installments);
      const built = buildWriteback(plan, arrangementSpec(plan), facts, action);
      expect(built.payload).toMatchObject({ amountPerInstallment: { amountMinor: each, currency: 'GBP' } });
    });
  });

  describe('idempotency key', () => {
    const spec = arrangementSpec(plan);
    const key = (facts: CaseFacts = planFixture.facts, attempt?: number): string =>
      buildWriteback(plan, spec, facts, planFixture.actionFacts, attempt).idempotencyKey;

    it('is derived from customer, workflow, operation and the case, as the definition designs it', () => {
      expect(key()).toBe(
        idempotencyKey({
          customerId: 'CUST-000981',
          workflowId: 'payment-plan-setup',
          operation: 'arrangement.create',
          sequence: 'case-pps-1',
        }),
      );
    });

    it('is the same on every call for the same business action, whatever was submitted', () => {
      const otherSubmission = {
        ...planFixture.actionFacts,
        parameters: { installments: '6', firstDueDate: '2025-08-01' },
      };
      expect(key()).toBe(key());
      expect(buildWriteback(plan, spec, planFixture.facts, otherSubmission).idempotencyKey).toBe(key());
      expect(key(planFixture.facts, 0)).toBe(key());
    });

    it('differs per case', () => {
      expect(key({ ...planFixture.facts, caseId: 'case-pps-2' })).not.toBe(key());
    });

    it('differs per agent-approved attempt, as `<sequence>#<attempt>`', () => {
      expect(key(planFixture.facts, 1)).not.toBe(key());
      expect(key(planFixture.facts, 2)).not.toBe(key(planFixture.facts, 1));
      expect(key(planFixture.facts, 1)).toBe(
        idempotencyKey({
          customerId: 'CUST-000981',
          workflowId: 'payment-plan-setup',
          operation: 'arrangement.create',
          sequence: 'case-pps-1#1',
        }),
      );
    });

    it('differs per operation within one action', () => {
      const [arrangement, flag] = buildActionWritebacks(
        plan,
        'choose-plan',
        planFixture.facts,
        planFixture.actionFacts,
      );
      expect(arrangement?.idempotencyKey).not.toBe(flag?.idempotencyKey);
    });

    it('uses a writeback’s own key design over the workflow’s', () => {
      const override: WritebackSpec = {
        ...spec,
        idempotency: {
          key: ['customerId', 'workflowId', 'operation', 'sequence'],
          sequence: 'trigger.eventId',
        },
      };
      expect(buildWriteback(plan, override, planFixture.facts, planFixture.actionFacts).idempotencyKey).toBe(
        idempotencyKey({
          customerId: 'CUST-000981',
          workflowId: 'payment-plan-setup',
          operation: 'arrangement.create',
          sequence: 'evt-case-pps-1',
        }),
      );
    });

    it('names the sequence fact when the case lacks it', () => {
      const override: WritebackSpec = {
        ...spec,
        idempotency: { key: ['operation', 'sequence'], sequence: 'trigger.attributes.agreementId' },
      };
      expect(() => buildWriteback(plan, override, planFixture.facts, planFixture.actionFacts)).toThrow(
        'writebacks.plan-arrangement.idempotency.sequence: fact trigger.attributes.agreementId is missing from the case facts',
      );
    });

    it('refuses a negative or fractional attempt', () => {
      expect(() => key(planFixture.facts, -1)).toThrow(RangeError);
      expect(() => key(planFixture.facts, 1.5)).toThrow(RangeError);
    });
  });

  it('refuses the facts of another workflow', () => {
    expect(() =>
      buildWriteback(
        plan,
        arrangementSpec(plan),
        { ...planFixture.facts, workflowId: 'kyc-refresh' },
        planFixture.actionFacts,
      ),
    ).toThrow(FactsMismatchError);
  });

  it('names an action the definition does not have', () => {
    expect(() =>
      buildActionWritebacks(plan, 'pay-later', planFixture.facts, planFixture.actionFacts),
    ).toThrow('payment-plan-setup@v1: actions: defines no action "pay-later"');
  });
});

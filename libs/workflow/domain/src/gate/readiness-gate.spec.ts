import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MappingRegistry } from '@closeout/writeback-domain';
import {
  ERROR_CLASSES,
  REQUIRED_AUDIT_FIELDS,
  type WorkflowDefinition,
} from '../definition/workflow-definition.schema';
import { ReadinessError } from '../errors';
import { activateDefinitions } from './activate-definitions';
import { readinessGate } from './readiness-gate';
import { goldenFixture, readDefinition, readDirectory, SEED_DIR } from '../test-support/fixture-files';

const fixtures = join(__dirname, 'fixtures');
const seedDir = SEED_DIR;
const golden = goldenFixture();
const load = (name: string): WorkflowDefinition => readDefinition(join(fixtures, name));
const complete = (): WorkflowDefinition => load('ok/complete.yaml');
const items = (definition: WorkflowDefinition): string[] =>
  readinessGate(definition, { golden }).missing.map((m) => m.item);
const detailOf = (definition: WorkflowDefinition, item: string): string =>
  readinessGate(definition, { golden }).missing.find((m) => m.item === item)?.detail ?? '(not reported)';

describe('readiness gate', () => {
  it('accepts a definition with every item present', () => {
    expect(readinessGate(complete(), { golden })).toEqual({ ready: true, missing: [] });
  });

  describe('refuses a definition that lacks', () => {
    it('an idempotency key design', () => {
      const definition = load('not-ok/no-idempotency.yaml');
      expect(readinessGate(definition, { golden }).ready).toBe(false);
      expect(items(definition)).toEqual(['idempotency']);
      expect(detailOf(definition, 'idempotency')).toContain(
        'no idempotency key design (needed by repayment)',
      );
    });

    it('the sequence in its idempotency key', () => {
      const definition = load('not-ok/idempotency-without-sequence.yaml');
      expect(items(definition)).toEqual(['idempotency']);
      expect(detailOf(definition, 'idempotency')).toContain('the key must include sequence');
    });

    it('the operation in its idempotency key', () => {
      const definition = load('not-ok/idempotency-without-operation.yaml');
      expect(items(definition)).toEqual(['idempotency']);
      expect(detailOf(definition, 'idempotency')).toContain('the key must include operation');
    });

    it('a sequence that resolves to a stable fact', () => {
      const definition = load('not-ok/sequence-not-a-fact.yaml');
      expect(items(definition)).toEqual(['idempotency']);
      expect(detailOf(definition, 'idempotency')).toContain(
        'sequence "action.parameters.nonce" does not resolve to a stable fact',
      );
    });

    it('the sequence in a writeback’s own key design', () => {
      const definition = load('not-ok/writeback-override-without-sequence.yaml');
      expect(items(definition)).toEqual(['writebacks.repayment.idempotency']);
      expect(detailOf(definition, 'writebacks.repayment.idempotency')).toContain(
        'the key must include sequence',
      );
    });

    it.each(ERROR_CLASSES)('a retry rule for %s', (errorClass) => {
      const definition = complete();
      delete definition.retryPolicy?.[errorClass];
      expect(items(definition)).toEqual([`retryPolicy.${errorClass}`]);
    });

    it('a retry policy altogether, naming all six classes', () => {
      const definition = { ...complete(), retryPolicy: undefined };
      expect(items(definition)).toEqual(ERROR_CLASSES.map((c) => `retryPolicy.${c}`));
    });

    it('a golden payload pair for a mapping it uses', () => {
      const definition = load('not-ok/golden-missing.yaml');
      expect(items(definition)).toEqual(['goldenPayload core-banking-rest/payment.post/v7']);
      expect(detailOf(definition, 'goldenPayload core-banking-rest/payment.post/v7')).toContain(
        'has no mapping version "7"',
      );
    });

    it('a golden pair whose expected.json is there', () => {
      const { missing } = readinessGate(complete(), { golden: goldenFixture(join(fixtures, 'golden-incomplete')) });
      expect(missing.map((m) => m.item)).toEqual(['goldenPayload core-banking-rest/payment.post/v1']);
      expect(missing[0]?.detail).toMatch(/no golden payload pair: .*expected\.json missing/);
    });

    it('a golden pair the mapping still renders', () => {
      const { missing } = readinessGate(complete(), { golden: goldenFixture(join(fixtures, 'golden-drift')) });
      expect(missing.map((m) => m.item)).toEqual(['goldenPayload core-banking-rest/payment.post/v1']);
      expect(missing[0]?.detail).toContain('the mapping no longer renders');
    });

    it('a golden root that exists, saying so instead of blaming each mapping', () => {
      const { missing } = readinessGate(complete(), { golden: goldenFixture(join(fixtures, 'no-such-golden-root')) });
      expect(missing.map((m) => m.item)).toEqual(['goldenPayload core-banking-rest/payment.post/v1']);
      expect(missing[0]?.detail).toMatch(/the golden root .*no-such-golden-root does not exist/);
    });

    it('a registered mapping', () => {
      const { missing } = readinessGate(complete(), { golden, mappings: new MappingRegistry() });
      expect(missing.map((m) => m.item)).toEqual(['goldenPayload core-banking-rest/payment.post/v1']);
      expect(missing[0]?.detail).toContain('the mapping is not registered');
    });

    it('a mapping that speaks the writeback’s protocol', () => {
      const definition = load('not-ok/mapping-speaks-another-protocol.yaml');
      expect(items(definition)).toEqual(['goldenPayload core-banking-soap/payment.post/v1']);
      expect(detailOf(definition, 'goldenPayload core-banking-soap/payment.post/v1')).toContain(
        'the mapping speaks SOAP, the writeback says REST',
      );
    });

    it('a reconciliation window', () => {
      const definition = load('not-ok/no-reconciliation-window.yaml');
      expect(items(definition)).toEqual(['slo.reconciliationWindow']);
    });

    it('an audit section', () => {
      const definition = load('not-ok/no-audit.yaml');
      expect(items(definition)).toEqual(['audit']);
      expect(detailOf(definition, 'audit')).toContain(REQUIRED_AUDIT_FIELDS.join(', '));
    });

    it.each(REQUIRED_AUDIT_FIELDS)('the audit field %s', (field) => {
      const definition = complete();
      definition.audit = { fields: (definition.audit?.fields ?? []).filter((f) => f !== field) };
      expect(items(definition)).toEqual([`audit.fields.${field}`]);
    });
  });

  it('lists every missing item of a definition, not only the first', () => {
    expect(items(load('not-ok/several-missing.yaml'))).toEqual([
      'idempotency',
      'retryPolicy.AMBIGUOUS',
      'goldenPayload core-banking-rest/payment.post/v7',
      'slo.reconciliationWindow',
      'audit.fields.ruleId',
    ]);
  });

  describe('seed workflows', () => {
    const files = readdirSync(seedDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();

    it('are the five DESIGN names', () => {
      expect(files).toEqual([
        'address-update.yaml',
        'document-collection.yaml',
        'failed-payment-recovery.yaml',
        'kyc-refresh.yaml',
        'payment-plan-setup.yaml',
      ]);
    });

    it.each(files)('%s passes the gate', (file) => {
      expect(readinessGate(readDefinition(join(seedDir, file)), { golden })).toEqual({
        ready: true,
        missing: [],
      });
    });

    it('use all three protocols between them', () => {
      const protocols = new Set(
        readDirectory(seedDir)
          .all()
          .flatMap((d) => d.actions.flatMap((a) => a.writebacks.map((w) => w.protocol))),
      );
      expect([...protocols].sort()).toEqual(['REST', 'SFTP', 'SOAP']);
    });
  });
});

describe('activateDefinitions', () => {
  it('returns every definition of a registry when all are ready', () => {
    const registry = readDirectory(seedDir);
    expect(activateDefinitions(registry, { golden }).map((d) => d.id)).toEqual(registry.all().map((d) => d.id));
  });

  it('refuses all of them, listing `<id> v<version>: <item>: <detail>` for every missing item of each', () => {
    const several = load('not-ok/several-missing.yaml');
    const noAudit = { ...load('not-ok/no-audit.yaml'), id: 'other-workflow', version: '3' };
    let error: unknown;
    try {
      activateDefinitions([complete(), several, noAudit], { golden });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReadinessError);
    const readiness = error as ReadinessError;
    expect(readiness.code).toBe('WORKFLOW_NOT_READY');
    const lines = readiness.message.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^card-repayment v1: idempotency: no idempotency key design/);
    expect(lines).toContain(
      'card-repayment v1: retryPolicy.AMBIGUOUS: no retry rule for AMBIGUOUS writeback failures',
    );
    expect(lines).toContain(
      'card-repayment v1: slo.reconciliationWindow: no reconciliation window: how long before an unconfirmed writeback is checked against the system of record',
    );
    expect(lines[5]).toMatch(/^other-workflow v3: audit: no audit section/);
    expect(readiness.refusals.map((r) => r.workflowId)).toEqual(['card-repayment', 'other-workflow']);
  });
});

import { join } from 'node:path';
import { WorkflowDefinitionError, WorkflowNotFoundError } from '../errors';
import { readDefinition, readDirectory } from '../test-support/fixture-files';
import { WorkflowRegistry } from './workflow-registry';

const registryFixtures = join(__dirname, 'fixtures', 'registry');

describe('WorkflowRegistry', () => {
  const registry = readDirectory(join(registryFixtures, 'two-versions'));

  it('holds every definition it was given, by id and version', () => {
    expect(registry.ids()).toEqual(['card-repayment', 'card-repayment-json']);
    expect(registry.all().map((d) => `${d.id} v${d.version}`)).toEqual([
      'card-repayment v1',
      'card-repayment v2',
      'card-repayment v10',
      'card-repayment-json v1',
    ]);
  });

  it('keeps several versions of one workflow side by side', () => {
    expect(registry.get('card-repayment', '2').name).toBe('Card repayment (v2)');
    expect(registry.get('card-repayment', 1).name).toBe('Card repayment (v1)');
  });

  it('takes the highest version as a whole number, so v10 is after v2', () => {
    expect(registry.latest('card-repayment').version).toBe('10');
  });

  it('names the id and version it does not hold', () => {
    expect(() => registry.get('card-repayment', '3')).toThrow(WorkflowNotFoundError);
    expect(() => registry.get('card-repayment', '3')).toThrow(/workflow card-repayment v3 is not loaded/);
    expect(() => registry.latest('kyc-refresh')).toThrow(/workflow kyc-refresh is not loaded/);
  });

  it('refuses the same id and version twice and reports every bad source at once', () => {
    const dir = join(registryFixtures, 'duplicate-version');
    let error: unknown;
    try {
      readDirectory(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    const message = (error as WorkflowDefinitionError).message;
    expect(message).toContain(
      `${join(dir, 'b.yaml')}: version: card-repayment v1 is already loaded from ${join(dir, 'a.yaml')}`,
    );
    expect(message).toContain(
      `${join(dir, 'c.yaml')}: outreach.expiry: must be a positive ISO 8601 duration`,
    );
  });

  it('adds definitions it is given', () => {
    const definition = readDefinition(join(__dirname, 'fixtures', 'ok', 'card-repayment.yaml'));
    expect(new WorkflowRegistry([definition]).latest('card-repayment')).toBe(definition);
  });
});

import { join } from 'node:path';
import { WorkflowDefinitionError } from '@closeout/workflow-domain';
import { loadWorkflowDefinitionFile, loadWorkflowDirectory } from './definition-files';

const fixtures = join(__dirname, '..', '..', 'domain', 'src', 'definition', 'fixtures');
const registryFixtures = join(fixtures, 'registry');

function thrownBy(fn: () => unknown): WorkflowDefinitionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkflowDefinitionError) return error;
    throw error;
  }
  throw new Error('expected a WorkflowDefinitionError, nothing was thrown');
}

describe('definition files', () => {
  it('loads a YAML file and the same definition from JSON', () => {
    const yaml = loadWorkflowDefinitionFile(join(fixtures, 'ok', 'card-repayment.yaml'));
    const json = loadWorkflowDefinitionFile(join(fixtures, 'ok', 'card-repayment.json'));
    expect(yaml.id).toBe('card-repayment');
    expect({ ...json, id: yaml.id }).toEqual(yaml);
  });

  it('names the file, the field and the rule of a bad definition', () => {
    const file = join(fixtures, 'not-ok', 'unknown-channel.yaml');
    expect(thrownBy(() => loadWorkflowDefinitionFile(file)).message).toBe(
      `${file}: outreach.channels[1]: must be one of SMS, EMAIL, WHATSAPP (got "FAX")`,
    );
  });

  it('rejects a file with an extension that is not YAML or JSON', () => {
    expect(
      thrownBy(() => loadWorkflowDefinitionFile(join(registryFixtures, 'two-versions', 'README.txt'))).message,
    ).toMatch(/README\.txt: \(file\): must end in \.yaml, \.yml, \.json/);
  });

  it('names a file it cannot read', () => {
    expect(thrownBy(() => loadWorkflowDefinitionFile(join(fixtures, 'no-such.yaml'))).message).toMatch(
      /no-such\.yaml: \(file\): cannot be read \(.*ENOENT/,
    );
  });

  it('loads every .yaml, .yml and .json file of a directory in name order and ignores other files', () => {
    const registry = loadWorkflowDirectory(join(registryFixtures, 'two-versions'));
    expect(registry.all().map((d) => `${d.id} v${d.version}`)).toEqual([
      'card-repayment v1',
      'card-repayment v2',
      'card-repayment v10',
      'card-repayment-json v1',
    ]);
    expect(registry.sourceOf('card-repayment', '1')).toBe(join(registryFixtures, 'two-versions', 'card-repayment.v1.yaml'));
  });

  it('reports every bad file of a directory at once, a duplicate version naming both files', () => {
    const dir = join(registryFixtures, 'duplicate-version');
    const message = thrownBy(() => loadWorkflowDirectory(dir)).message;
    expect(message).toContain(
      `${join(dir, 'b.yaml')}: version: card-repayment v1 is already loaded from ${join(dir, 'a.yaml')}`,
    );
    expect(message).toContain(`${join(dir, 'c.yaml')}: outreach.expiry: must be a positive ISO 8601 duration`);
  });

  it('names a directory it cannot read', () => {
    expect(thrownBy(() => loadWorkflowDirectory(join(registryFixtures, 'no-such-dir'))).message).toMatch(
      /no-such-dir: \(directory\): cannot be read/,
    );
  });
});

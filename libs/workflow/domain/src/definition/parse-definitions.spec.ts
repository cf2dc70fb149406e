import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowDefinitionError } from '../errors';
import { readDefinition } from '../test-support/fixture-files';
import { parseWorkflowDefinition, validateWorkflowDefinition } from './parse-definitions';

const fixtures = join(__dirname, 'fixtures');
const notOk = readdirSync(join(fixtures, 'not-ok'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** Each not-ok fixture states the problems it must produce in `# expect: <file-less problem line>` comments. */
const expectations = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice('# expect: '.length));

function thrownBy(fn: () => unknown): WorkflowDefinitionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkflowDefinitionError) return error;
    throw error;
  }
  throw new Error('expected a WorkflowDefinitionError, nothing was thrown');
}

describe('parsing workflow definitions', () => {
  it('parses a YAML definition into durations in milliseconds and defaults', () => {
    const definition = readDefinition(join(fixtures, 'ok', 'card-repayment.yaml'));
    expect(definition.id).toBe('card-repayment');
    expect(definition.outreach.expiry).toEqual({ iso: 'P7D', ms: 7 * 24 * 3_600_000 });
    expect(definition.outreach.reminders.map((r) => r.ms)).toEqual([24 * 3_600_000, 72 * 3_600_000]);
    expect(definition.actions[0]?.writebacks[0]?.required).toBe(true);
  });

  it('reads the same definition from JSON', () => {
    const yaml = readDefinition(join(fixtures, 'ok', 'card-repayment.yaml'));
    const json = readDefinition(join(fixtures, 'ok', 'card-repayment.json'));
    expect({ ...json, id: yaml.id }).toEqual(yaml);
  });

  it.each(notOk)('rejects not-ok/%s naming the file, the field and the rule', (name) => {
    const file = join(fixtures, 'not-ok', name);
    const expected = expectations(file);
    expect(expected.length).toBeGreaterThan(0);
    const error = thrownBy(() => readDefinition(file));
    expect(error.code).toBe('WORKFLOW_DEFINITION_INVALID');
    const lines = error.message.split('\n');
    for (const problem of expected) {
      expect(lines.some((line) => line.startsWith(`${file}: `) && line.includes(problem))).toBe(true);
    }
    expect(error.problems.every((p) => p.source === file)).toBe(true);
  });

  it('lists every shape problem of a file, not only the first', () => {
    const file = join(fixtures, 'not-ok', 'several-problems.yaml');
    expect(thrownBy(() => readDefinition(file)).problems.length).toBeGreaterThanOrEqual(4);
  });

  it('lists every cross-field problem of a file, not only the first', () => {
    const file = join(fixtures, 'not-ok', 'several-semantic-problems.yaml');
    expect(thrownBy(() => readDefinition(file)).problems.length).toBeGreaterThanOrEqual(4);
  });

  it('names the source label given for text that did not come from a file', () => {
    const error = thrownBy(() => parseWorkflowDefinition('id: x\n', 'inline'));
    expect(error.message).toContain('inline: version: is required');
    expect(error.message).toContain('inline: actions: is required');
  });

  it('rejects decoded data that is not an object', () => {
    expect(thrownBy(() => validateWorkflowDefinition([], 'api')).message).toMatch(
      /^api: \(definition\): must be object/,
    );
  });
});

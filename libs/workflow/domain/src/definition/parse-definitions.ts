import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { WorkflowDefinitionError, type DefinitionProblem } from '../errors';
import { semanticProblems } from './semantic-checks';
import { workflowDefinitionSchema, type WorkflowDefinition } from './workflow-definition.schema';

/** The extensions a workflow definition file may have; a workflow directory is scanned for these. */
export const DEFINITION_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

export const isDefinitionFile = (file: string): boolean =>
  DEFINITION_EXTENSIONS.includes(extname(file).toLowerCase());

function formatPath(path: readonly PropertyKey[]): string {
  const text = path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`,
    '',
  );
  return text === '' ? '(definition)' : text;
}

const describeInput = (input: unknown): string =>
  input === null
    ? 'null'
    : Array.isArray(input)
      ? 'a list'
      : typeof input === 'object'
        ? 'an object'
        : `${typeof input} ${JSON.stringify(input)}`;

/** zod issues → `path: rule`, reading "is required" for an absent field and listing allowed values in words. */
function schemaProblems(source: string, issues: readonly z.core.$ZodIssue[]): DefinitionProblem[] {
  return issues.flatMap((issue): DefinitionProblem[] => {
    // zod has many issue codes; only these three read better rephrased, the rest carry the schema's own rule.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        source,
        path: formatPath([...issue.path, key]),
        rule: 'is not a field of a workflow definition',
      }));
    }
    if (issue.code === 'invalid_type') {
      const rule =
        issue.input !== undefined
          ? `must be ${issue.expected} (got ${describeInput(issue.input)})`
          : 'is required';
      return [{ source, path: formatPath(issue.path), rule }];
    }
    if (issue.code === 'invalid_value') {
      // The schema's own rule where it has one; zod's generic "Invalid option" reworded as the allowed values.
      const allowed = issue.message.startsWith('Invalid option')
        ? `must be one of ${issue.values.map((v) => String(v)).join(', ')}`
        : issue.message;
      return [
        { source, path: formatPath(issue.path), rule: `${allowed} (got ${JSON.stringify(issue.input)})` },
      ];
    }
    return [{ source, path: formatPath(issue.path), rule: issue.message }];
  });
}

/**
 * Validates already-decoded definition data: the zod shape first, then the cross-field rules (unique ids, proofs
 * that point at real writeback fields, identity matched to risk and money movement, cadence order, protocol per
 * destination, compilable eligibility rules). Throws `WorkflowDefinitionError` listing every problem.
 */
export function validateWorkflowDefinition(data: unknown, source: string): WorkflowDefinition {
  const parsed = workflowDefinitionSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new WorkflowDefinitionError(schemaProblems(source, parsed.error.issues));
  const problems = semanticProblems(parsed.data).map((p) => ({ source, ...p }));
  if (problems.length > 0) throw new WorkflowDefinitionError(problems);
  return parsed.data;
}

/** Parses YAML or JSON text (JSON is read by the YAML parser too, so positions are reported the same way). */
export function parseWorkflowDefinition(text: string, source: string): WorkflowDefinition {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new WorkflowDefinitionError(
      document.errors.map((e) => ({
        source,
        path: e.linePos?.[0] ? `(line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '(document)',
        rule: `is not valid YAML/JSON: ${(e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }
  return validateWorkflowDefinition(document.toJS(), source);
}

/** One definition's text and where it came from (a file path, or a label such as `api`). */
export interface DefinitionSource {
  source: string;
  text: string;
}

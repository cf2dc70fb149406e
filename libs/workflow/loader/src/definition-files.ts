import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFINITION_EXTENSIONS,
  isDefinitionFile,
  parseWorkflowDefinition,
  WorkflowDefinitionError,
  WorkflowRegistry,
  type DefinitionProblem,
  type DefinitionSource,
  type WorkflowDefinition,
} from '@closeout/workflow-domain';

const cannotRead = (source: string, path: string, error: unknown): DefinitionProblem => ({
  source,
  path,
  rule: `cannot be read (${error instanceof Error ? error.message : String(error)})`,
});

/** The text of one definition file, or the problem that stops it being read (wrong extension, unreadable). */
function readDefinitionFile(file: string): DefinitionSource | DefinitionProblem {
  if (!isDefinitionFile(file))
    return { source: file, path: '(file)', rule: `must end in ${DEFINITION_EXTENSIONS.join(', ')}` };
  try {
    return { source: file, text: readFileSync(file, 'utf8') };
  } catch (error) {
    return cannotRead(file, '(file)', error);
  }
}

/** Reads and validates one definition file (`.yaml`, `.yml` or `.json`); `WorkflowDefinitionError` names the file. */
export function loadWorkflowDefinitionFile(file: string): WorkflowDefinition {
  const read = readDefinitionFile(file);
  if (!('text' in read)) throw new WorkflowDefinitionError([read]);
  return parseWorkflowDefinition(read.text, file);
}

/**
 * Loads every *.yaml, *.yml and *.json file in `dir` (not recursively, in name order) into `registry`. Every file
 * is read and parsed before anything is added, so one `WorkflowDefinitionError` lists the problems of all of them.
 */
export function loadWorkflowDirectory(dir: string, registry = new WorkflowRegistry()): WorkflowRegistry {
  let files: string[];
  try {
    files = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && isDefinitionFile(e.name))
      .map((e) => join(dir, e.name))
      .sort();
  } catch (error) {
    throw new WorkflowDefinitionError([cannotRead(dir, '(directory)', error)], { cause: error });
  }
  const sources: DefinitionSource[] = [];
  const problems: DefinitionProblem[] = [];
  for (const file of files) {
    const read = readDefinitionFile(file);
    if ('text' in read) sources.push(read);
    else problems.push(read);
  }
  return registry.addSources(sources, problems);
}

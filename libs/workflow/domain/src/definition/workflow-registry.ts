import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowDefinitionError, WorkflowNotFoundError, type DefinitionProblem } from '../errors';
import { isDefinitionFile, loadWorkflowDefinitionFile } from './load-definitions';
import type { WorkflowDefinition } from './workflow-definition.schema';

interface Entry {
  definition: WorkflowDefinition;
  source: string;
}

/**
 * Every loaded workflow definition by id and version. Several versions of one workflow live side by side: a case
 * stays on the version it was opened with, new cases take the latest.
 */
export class WorkflowRegistry {
  private readonly byId = new Map<string, Map<string, Entry>>();

  constructor(definitions: Iterable<WorkflowDefinition> = []) {
    for (const definition of definitions) this.add(definition);
  }

  /** Adds one definition; the same id and version twice is a definition error naming both sources. */
  add(definition: WorkflowDefinition, source = `${definition.id}@v${definition.version}`): this {
    const versions = this.byId.get(definition.id) ?? new Map<string, Entry>();
    const existing = versions.get(definition.version);
    if (existing !== undefined) {
      throw new WorkflowDefinitionError([
        {
          source,
          path: 'version',
          rule: `${definition.id} v${definition.version} is already loaded from ${existing.source}: a published version never changes, add a new one`,
        },
      ]);
    }
    versions.set(definition.version, { definition, source });
    this.byId.set(definition.id, versions);
    return this;
  }

  /**
   * Loads every *.yaml, *.yml and *.json file in `dir` (not recursively). All files are read before anything is
   * added, so one error lists the problems of every file.
   */
  loadWorkflowDirectory(dir: string): this {
    let files: string[];
    try {
      files = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && isDefinitionFile(e.name))
        .map((e) => join(dir, e.name))
        .sort();
    } catch (error) {
      throw new WorkflowDefinitionError(
        [
          {
            source: dir,
            path: '(directory)',
            rule: `cannot be read (${error instanceof Error ? error.message : String(error)})`,
          },
        ],
        { cause: error },
      );
    }
    const problems: DefinitionProblem[] = [];
    const loaded: Entry[] = [];
    for (const file of files) {
      try {
        loaded.push({ definition: loadWorkflowDefinitionFile(file), source: file });
      } catch (error) {
        if (!(error instanceof WorkflowDefinitionError)) throw error;
        problems.push(...error.problems);
      }
    }
    for (const { definition, source } of loaded) {
      try {
        this.add(definition, source);
      } catch (error) {
        if (!(error instanceof WorkflowDefinitionError)) throw error;
        problems.push(...error.problems);
      }
    }
    if (problems.length > 0) throw new WorkflowDefinitionError(problems);
    return this;
  }

  /** A registry holding every definition in `dir`. */
  static loadWorkflowDirectory(dir: string): WorkflowRegistry {
    return new WorkflowRegistry().loadWorkflowDirectory(dir);
  }

  /** One version of a workflow; throws `WorkflowNotFoundError` naming the id and version asked for. */
  get(id: string, version: string | number): WorkflowDefinition {
    const found = this.byId.get(id)?.get(String(version));
    if (found === undefined) throw new WorkflowNotFoundError(id, String(version), this.labels());
    return found.definition;
  }

  /** The highest version of a workflow (versions compare as whole numbers, so v10 is after v9). */
  latest(id: string): WorkflowDefinition {
    const versions = this.byId.get(id);
    if (versions === undefined) throw new WorkflowNotFoundError(id, undefined, this.labels());
    const [newest] = [...versions.values()].sort(
      (a, b) => Number(b.definition.version) - Number(a.definition.version),
    );
    if (newest === undefined) throw new WorkflowNotFoundError(id, undefined, this.labels());
    return newest.definition;
  }

  /** Where a definition was loaded from, for messages that should point a reviewer at the file. */
  sourceOf(id: string, version: string | number): string {
    this.get(id, version);
    return this.byId.get(id)?.get(String(version))?.source ?? `${id}@v${version}`;
  }

  /** Every version of every workflow, by id then version. */
  all(): WorkflowDefinition[] {
    return this.ids().flatMap((id) =>
      [...(this.byId.get(id)?.values() ?? [])]
        .map((e) => e.definition)
        .sort((a, b) => Number(a.version) - Number(b.version)),
    );
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }

  private labels(): string[] {
    return this.all().map((d) => `${d.id} v${d.version}`);
  }
}

/** A registry holding every definition in `dir`; see `WorkflowRegistry.loadWorkflowDirectory`. */
export function loadWorkflowDirectory(dir: string): WorkflowRegistry {
  return new WorkflowRegistry().loadWorkflowDirectory(dir);
}

import { WorkflowDefinitionError, WorkflowNotFoundError, type DefinitionProblem } from '../errors';
import { parseWorkflowDefinition, type DefinitionSource } from './parse-definitions';
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
   * Parses and adds several definitions (the files of a workflow directory). Every source is parsed before anything
   * is added, and one `WorkflowDefinitionError` lists the problems of all of them, with `problems` already found by
   * the caller (a file it could not read) first.
   */
  addSources(sources: readonly DefinitionSource[], problems: readonly DefinitionProblem[] = []): this {
    const found: DefinitionProblem[] = [...problems];
    const parsed: Entry[] = [];
    for (const { source, text } of sources) {
      try {
        parsed.push({ definition: parseWorkflowDefinition(text, source), source });
      } catch (error) {
        if (!(error instanceof WorkflowDefinitionError)) throw error;
        found.push(...error.problems);
      }
    }
    for (const { definition, source } of parsed) {
      try {
        this.add(definition, source);
      } catch (error) {
        if (!(error instanceof WorkflowDefinitionError)) throw error;
        found.push(...error.problems);
      }
    }
    if (found.length > 0) throw new WorkflowDefinitionError(found);
    return this;
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

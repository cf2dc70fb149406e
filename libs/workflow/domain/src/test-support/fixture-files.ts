/**
 * Definitions and golden pairs read from this lib's fixtures and the seed workflows, for specs. The service reads
 * them with @closeout/workflow-loader; the domain's own specs cannot depend on it (it depends on the domain), so
 * they read the files here, through the same domain entry points (parseWorkflowDefinition, addSources).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDefinitionFile, parseWorkflowDefinition } from '../definition/parse-definitions';
import type { WorkflowDefinition } from '../definition/workflow-definition.schema';
import { WorkflowRegistry } from '../definition/workflow-registry';
import type { GoldenFiles } from '../gate/golden-payloads';

const repo = join(__dirname, '..', '..', '..', '..', '..');

/** The seed workflows the orchestrator runs. */
export const SEED_DIR = join(repo, 'apps', 'orchestrator', 'workflows');

export const readDefinition = (file: string): WorkflowDefinition =>
  parseWorkflowDefinition(readFileSync(file, 'utf8'), file);

/** Every definition file of a directory, through `WorkflowRegistry.addSources`. */
export const readDirectory = (dir: string): WorkflowRegistry =>
  new WorkflowRegistry().addSources(
    readdirSync(dir)
      .filter(isDefinitionFile)
      .sort()
      .map((name) => ({ source: join(dir, name), text: readFileSync(join(dir, name), 'utf8') })),
  );

/** Golden pairs under `root` (default: the writeback domain's). */
export const goldenFixture = (
  root = join(repo, 'libs', 'writeback', 'domain', 'src', 'mappings', 'golden'),
): GoldenFiles => ({
  root,
  rootExists: () => existsSync(root),
  read: (segments) => (existsSync(join(root, ...segments)) ? readFileSync(join(root, ...segments), 'utf8') : undefined),
});

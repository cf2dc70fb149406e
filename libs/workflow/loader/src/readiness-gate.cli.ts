import { statSync } from 'node:fs';
import {
  readinessGate,
  WorkflowDefinitionError,
  WorkflowRegistry,
  type ReadinessOptions,
} from '@closeout/workflow-domain';
import { loadWorkflowDefinitionFile, loadWorkflowDirectory } from './definition-files';
import { goldenFilesAt } from './golden-files';

/**
 * The readiness gate as CI runs it: `node -r @swc-node/register libs/workflow/loader/src/readiness-gate.cli.ts
 * <definition files or dirs…>`. Prints READY or REFUSED per definition (with one line per missing item) and the
 * validation problems of any file that does not load; returns 1 if anything was refused or invalid.
 */
export function runReadinessGate(
  paths: readonly string[],
  print: (line: string) => void,
  options: ReadinessOptions = { golden: goldenFilesAt() },
): number {
  if (paths.length === 0) {
    print('usage: readiness-gate <definition files or directories…>');
    return 1;
  }
  let failed = false;
  for (const path of paths) {
    const registry = new WorkflowRegistry();
    try {
      if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) loadWorkflowDirectory(path, registry);
      else registry.add(loadWorkflowDefinitionFile(path), path);
    } catch (error) {
      if (!(error instanceof WorkflowDefinitionError)) throw error;
      failed = true;
      print(`INVALID ${path}`);
      for (const line of error.message.split('\n')) print(`  ${line}`);
      continue;
    }
    for (const definition of registry.all()) {
      const { ready, missing } = readinessGate(definition, options);
      print(`${ready ? 'READY' : 'REFUSED'} ${definition.id} v${definition.version}`);
      for (const m of missing) print(`  ${m.item}: ${m.detail}`);
      if (!ready) failed = true;
    }
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = runReadinessGate(process.argv.slice(2), (line) => console.log(line));
}

import { WorkflowRegistry } from '../definition/workflow-registry';
import type { WorkflowDefinition } from '../definition/workflow-definition.schema';
import { ReadinessError, type Refusal } from '../errors';
import { readinessGate, type ReadinessOptions } from './readiness-gate';

/**
 * The same check the CI gate runs, at activation: every definition passes the readiness gate or none is activated,
 * and the `ReadinessError` lists `<id> v<version>: <item>: <detail>` for every missing item of every definition.
 */
export function activateDefinitions(
  source: WorkflowRegistry | readonly WorkflowDefinition[],
  options: ReadinessOptions,
): WorkflowDefinition[] {
  const definitions = source instanceof WorkflowRegistry ? source.all() : [...source];
  const refusals: Refusal[] = [];
  for (const definition of definitions) {
    const { ready, missing } = readinessGate(definition, options);
    if (!ready) refusals.push({ workflowId: definition.id, version: definition.version, missing });
  }
  if (refusals.length > 0) throw new ReadinessError(refusals);
  return definitions;
}

import { DomainError } from '@closeout/errors';

import { Inject, Injectable } from '@nestjs/common';
import { createLogger } from '@closeout/telemetry';
import {
  activateDefinitions,
  EligibilityPolicy,
  type WorkflowRegistry,
  type WorkflowDefinition,
} from '@closeout/workflow-domain';
import { goldenFilesAt, loadWorkflowDirectory } from '@closeout/workflow-loader';

export const WORKFLOW_DEFINITIONS_DIR = Symbol('orchestrator.workflow-definitions-dir');
export const WORKFLOW_GOLDEN_PAYLOADS_DIR = Symbol('orchestrator.workflow-golden-payloads-dir');

export class UnknownWorkflowError extends DomainError<'UNKNOWN_WORKFLOW'> {
  constructor(workflowId: string, version?: string) {
    super(
      'UNKNOWN_WORKFLOW',
      `no active definition for '${workflowId}'${version ? ` version ${version}` : ''}`,
      {
        field: 'workflowId',
      },
    );
  }
}

/**
 * The workflow definitions this orchestrator runs, activated at boot: a definition that fails validation or the
 * readiness gate stops the service with every missing item named, so nothing runs on an incomplete definition.
 * New cases open on a workflow's latest version; a case keeps the version it opened with.
 */
@Injectable()
export class WorkflowCatalog {
  private readonly log = createLogger('workflow-catalog');
  private readonly registry: WorkflowRegistry;
  private readonly policies = new Map<string, EligibilityPolicy>();

  constructor(
    @Inject(WORKFLOW_DEFINITIONS_DIR) dir: string,
    @Inject(WORKFLOW_GOLDEN_PAYLOADS_DIR) goldenRoot: string | undefined,
  ) {
    this.registry = loadWorkflowDirectory(dir);
    const active = activateDefinitions(this.registry, { golden: goldenFilesAt(goldenRoot) });
    for (const d of active) this.policies.set(keyOf(d.id, d.version), new EligibilityPolicy(d));
    this.log.info(
      { dir, workflows: active.map((d) => `${d.id}@v${d.version}`) },
      'workflow definitions activated',
    );
  }

  latest(workflowId: string): WorkflowDefinition {
    const d = this.tryLatest(workflowId);
    if (!d) throw new UnknownWorkflowError(workflowId);
    return d;
  }

  get(workflowId: string, version: string): WorkflowDefinition {
    if (!this.policies.has(keyOf(workflowId, version))) throw new UnknownWorkflowError(workflowId, version);
    return this.registry.get(workflowId, version);
  }

  policy(definition: WorkflowDefinition): EligibilityPolicy {
    const p = this.policies.get(keyOf(definition.id, definition.version));
    if (!p) throw new UnknownWorkflowError(definition.id, definition.version);
    return p;
  }

  all(): WorkflowDefinition[] {
    return this.registry.all();
  }

  private tryLatest(workflowId: string): WorkflowDefinition | undefined {
    try {
      return this.registry.latest(workflowId);
    } catch {
      return undefined;
    }
  }
}

const keyOf = (id: string, version: string) => `${id}@${version}`;

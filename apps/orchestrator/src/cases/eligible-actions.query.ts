import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { CaseStatus } from '@closeout/contracts';
import type { ConditionTree, IdentityMethodName, WorkflowDefinition } from '@closeout/workflow-domain';
import { awaitsCustomer } from '../domain/case-status';
import type { OfferedAction, StoredCaseFacts } from './case-record';
import { WorkflowCatalog } from '../workflows/workflow-catalog';

/** One parameter condition the mini-app can check before submitting (the orchestrator still checks every action). */
export interface ParameterRule {
  field: string;
  operator: string;
  value: unknown;
}

export interface EligibleAction {
  actionId: string;
  action: string;
  label: string;
  /** The action's own identity check if it sets one, else the workflow's. */
  identity: IdentityMethodName;
  parameterRules: ParameterRule[];
}

export interface EligibleActions {
  caseId: string;
  workflowId: string;
  definitionVersion: string;
  state: CaseStatus;
  /** Whether the customer may act now (the states in which the orchestrator takes a customer action). */
  awaitingCustomer: boolean;
  identity: { method: IdentityMethodName };
  amount: { amountMinor: number; currency: string } | null;
  /** The actions offered as eligible when the case opened; [] unless the customer may act now. */
  actions: EligibleAction[];
}

/** `$.expiryMonth`: a top-level parameter (the mini-app's parameters are a flat map of strings). */
const PARAMETER_PATH = /^\$\.([A-Za-z][A-Za-z0-9_]{0,63})$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The conditions on submitted parameters that every submission must meet: the leaves of `all` chains (nested `all`
 * included) whose fact is `parameters` with a path `$.<field>`. `any` and `not` branches are skipped — no single
 * field must meet them — and so are conditions on other facts (the case's own, which the customer cannot change).
 */
export function flattenParameterRules(tree: ConditionTree | undefined): ParameterRule[] {
  if (!tree || !Array.isArray(tree['all'])) return [];
  const rules: ParameterRule[] = [];
  const walk = (conditions: unknown[]) => {
    for (const c of conditions) {
      if (!isObject(c)) continue;
      if (Array.isArray(c['all'])) {
        walk(c['all']);
        continue;
      }
      if ('any' in c || 'not' in c) continue;
      const field = typeof c['path'] === 'string' ? PARAMETER_PATH.exec(c['path'])?.[1] : undefined;
      if (c['fact'] === 'parameters' && field !== undefined && typeof c['operator'] === 'string')
        rules.push({ field, operator: c['operator'], value: c['value'] });
    }
  };
  walk(tree['all']);
  return rules;
}

/** The eligible actions of a case as the mini-app shows them, from the case record and its workflow definition. */
export function eligibleActionsOf(
  row: {
    caseId: string;
    workflowId: string;
    definitionVersion: string;
    state: CaseStatus;
    facts: StoredCaseFacts;
    offeredActions: OfferedAction[];
  },
  definition: WorkflowDefinition,
): EligibleActions {
  const awaitingCustomer = awaitsCustomer(row.state);
  const specs = new Map(definition.actions.map((a) => [a.id, a]));
  const actions = awaitingCustomer
    ? row.offeredActions.flatMap((offered): EligibleAction[] => {
        const spec = specs.get(offered.actionId);
        if (!offered.eligible || !spec) return [];
        return [
          {
            actionId: spec.id,
            action: spec.action,
            label: spec.label,
            identity: spec.identity ?? definition.identity.method,
            parameterRules: flattenParameterRules(spec.parameterRules),
          },
        ];
      })
    : [];
  const amount = row.facts.trigger.amount;
  return {
    caseId: row.caseId,
    workflowId: row.workflowId,
    definitionVersion: row.definitionVersion,
    state: row.state,
    awaitingCustomer,
    identity: { method: definition.identity.method },
    amount: amount ? { amountMinor: amount.amountMinor, currency: amount.currency } : null,
    actions,
  };
}

/** What the mini-app may offer on a case now. Reads the case row without locking it. */
@Injectable()
export class EligibleActionsQuery {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: WorkflowCatalog,
  ) {}

  async execute(caseId: string): Promise<EligibleActions | undefined> {
    const [row] = (await this.db.query(
      `SELECT case_id AS "caseId", workflow_id AS "workflowId", definition_version AS "definitionVersion", state,
              facts, offered_actions AS "offeredActions"
       FROM cases WHERE case_id = $1`,
      [caseId],
    )) as Parameters<typeof eligibleActionsOf>[0][];
    if (!row) return undefined;
    return eligibleActionsOf(row, this.catalog.get(row.workflowId, row.definitionVersion));
  }
}

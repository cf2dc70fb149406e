import { Engine, type TopLevelCondition } from 'json-rules-engine';
import { identitySatisfies } from '../definition/identity-strength';
import type { ActionSpec, ConditionTree, WorkflowDefinition } from '../definition/workflow-definition.schema';
import { WorkflowDefinitionError, FactsMismatchError } from '../errors';
import type { ActionFacts, CaseFacts } from '../facts/case-facts';
import { failedConditions, type EvaluatedCondition } from './explain-conditions';
import { conditionPaths, isPlainPath, readPlainPath } from './fact-paths';
import { conditionProblems, ELIGIBILITY_FACTS, PARAMETER_FACTS } from './rule-conditions';
import { CLOSEOUT_OPERATORS } from './rule-operators';

export interface OfferedAction {
  actionId: string;
  /** The mini-app action name, e.g. `payment.authorize`. */
  action: string;
  eligible: boolean;
  /** `<workflowId>@v<version>/actions/<actionId>/eligibility`: what the audit event records. */
  ruleId: string;
  reason: string;
}

export interface ActionCheck {
  allowed: boolean;
  actionId?: string;
  /** The rule that refused (the first, if several did), or `…/actions/<actionId>` when every rule passed. */
  ruleId: string;
  /** Every refusal, each starting with the rule id that refused. */
  reasons: string[];
}

interface CompiledRule {
  ruleId: string;
  engine: Engine;
  /**
   * The run in progress: a json-rules-engine Engine is not safe for concurrent runs (a run that finishes marks the
   * engine finished, and a run still evaluating skips its rules), so runs of one engine are chained.
   */
  running: Promise<unknown>;
}

interface CompiledAction {
  spec: ActionSpec;
  eligibility: CompiledRule | undefined;
  parameters: CompiledRule | undefined;
}

/**
 * The eligibility and parameter rules of one workflow definition, compiled once into json-rules-engine engines.
 *
 * Facts: eligibility rules see `caseId`, `workflowId`, `trigger`, `customer`; parameter rules also see
 * `parameters` (the mini-app parameters) and `action` (the whole ActionFacts). Select inside a fact with `path`
 * (`$.amount.amountMinor`). Attributes and parameters are strings: compare them as numbers with the operators
 * `numberEqual`, `numberNotEqual`, `numberLessThan`, `numberLessThanInclusive`, `numberGreaterThan`,
 * `numberGreaterThanInclusive` (the built-in lessThan & co. are refused on string facts when the definition loads);
 * `present: true|false` tests whether a fact has a value at all.
 * Undefined facts are not allowed: a rule naming a fact the orchestrator does not pass is a definition error.
 */
export class EligibilityPolicy {
  readonly workflowId: string;
  readonly version: string;
  private readonly actions: CompiledAction[];

  constructor(
    private readonly definition: WorkflowDefinition,
    source = `${definition.id}@v${definition.version}`,
  ) {
    this.workflowId = definition.id;
    this.version = definition.version;
    const problems = definition.actions.flatMap((action, i) => [
      ...(action.eligibility
        ? conditionProblems(action.eligibility, `actions[${i}].eligibility`, ELIGIBILITY_FACTS)
        : []),
      ...(action.parameterRules
        ? conditionProblems(action.parameterRules, `actions[${i}].parameterRules`, PARAMETER_FACTS)
        : []),
    ]);
    if (problems.length > 0) throw new WorkflowDefinitionError(problems.map((p) => ({ source, ...p })));
    this.actions = definition.actions.map((spec) => ({
      spec,
      eligibility: spec.eligibility && this.compile(this.ruleId(spec.id, 'eligibility'), spec.eligibility),
      parameters:
        spec.parameterRules && this.compile(this.ruleId(spec.id, 'parameters'), spec.parameterRules),
    }));
  }

  /** `<workflowId>@v<version>/actions/<actionId>/<part>`. */
  ruleId(actionId: string, part?: 'eligibility' | 'parameters' | 'identity'): string {
    return `${this.workflowId}@v${this.version}/actions/${actionId}${part === undefined ? '' : `/${part}`}`;
  }

  /** Every action of the workflow, whether these facts make it eligible, and why (in words). */
  async offeredActions(facts: CaseFacts): Promise<OfferedAction[]> {
    this.assertFacts(facts);
    return Promise.all(
      this.actions.map(async ({ spec, eligibility }) => {
        const ruleId = this.ruleId(spec.id, 'eligibility');
        if (eligibility === undefined) {
          return {
            actionId: spec.id,
            action: spec.action,
            eligible: true,
            ruleId,
            reason: 'no eligibility rule: offered to every case of the workflow',
          };
        }
        const failures = await this.evaluate(eligibility, caseFactsForRules(facts));
        return {
          actionId: spec.id,
          action: spec.action,
          eligible: failures.length === 0,
          ruleId,
          reason: failures.length === 0 ? 'every eligibility condition holds' : failures.join('; '),
        };
      }),
    );
  }

  /**
   * Whether the customer may take this action now: the workflow defines it, it is eligible for the case, the
   * parameters satisfy the parameter rules and the identity proven is at least the one required. Every rule is
   * checked so the refusal lists every reason.
   */
  async checkAction(facts: CaseFacts, actionFacts: ActionFacts): Promise<ActionCheck> {
    this.assertFacts(facts);
    const compiled = this.actions.find((a) => a.spec.action === actionFacts.action);
    if (compiled === undefined) {
      const ruleId = `${this.workflowId}@v${this.version}/actions`;
      return {
        allowed: false,
        ruleId,
        reasons: [
          `${ruleId}: action "${actionFacts.action}" is not defined by this workflow (it offers ${this.actions.map((a) => a.spec.action).join(', ')})`,
        ],
      };
    }
    const { spec, eligibility, parameters } = compiled;
    const refusals: { ruleId: string; reason: string }[] = [];
    if (eligibility !== undefined) {
      for (const reason of await this.evaluate(eligibility, caseFactsForRules(facts)))
        refusals.push({ ruleId: eligibility.ruleId, reason });
    }
    if (parameters !== undefined) {
      const ruleFacts = {
        ...caseFactsForRules(facts),
        parameters: actionFacts.parameters,
        action: actionFacts,
      };
      for (const reason of await this.evaluate(parameters, ruleFacts))
        refusals.push({ ruleId: parameters.ruleId, reason });
    }
    const required = spec.identity ?? this.definition.identity.method;
    if (!identitySatisfies(actionFacts.identityMethod, required)) {
      refusals.push({
        ruleId: this.ruleId(spec.id, 'identity'),
        reason: `identity ${actionFacts.identityMethod} is weaker than the required ${required}`,
      });
    }
    const [first] = refusals;
    return {
      allowed: first === undefined,
      actionId: spec.id,
      ruleId: first?.ruleId ?? this.ruleId(spec.id),
      reasons: refusals.map((r) => `${r.ruleId}: ${r.reason}`),
    };
  }

  private compile(ruleId: string, conditions: ConditionTree): CompiledRule {
    // Undefined facts stay an error: every fact a rule may name is checked when the definition loads.
    const plainPaths = conditionPaths(conditions).every(isPlainPath);
    const engine = new Engine([], {
      allowUndefinedFacts: false,
      ...(plainPaths ? { pathResolver: readPlainPath } : {}),
    });
    for (const operator of CLOSEOUT_OPERATORS) engine.addOperator(operator);
    engine.addRule({ name: ruleId, conditions: conditions as TopLevelCondition, event: { type: 'pass' } });
    return { ruleId, engine, running: Promise.resolve() };
  }

  /** Runs one rule; returns the failed conditions in words (empty when it passes). */
  private async evaluate(rule: CompiledRule, facts: Record<string, unknown>): Promise<string[]> {
    const run = rule.running.then(() => rule.engine.run(facts));
    rule.running = run.catch(() => undefined);
    const { results, failureResults } = await run;
    if (results.length > 0) return [];
    const [failed] = failureResults;
    // Never read as "not eligible": a rule that did not run decided nothing.
    if (failed === undefined) throw new Error(`${rule.ruleId}: the rules engine returned no verdict`);
    // The engine records results on nested conditions only; the root's result is the rule's own.
    const reasons = failedConditions({ ...(failed.conditions as EvaluatedCondition), result: false });
    return reasons.length > 0 ? reasons : ['the rule does not hold'];
  }

  private assertFacts(facts: CaseFacts): void {
    if (facts.workflowId !== this.workflowId) throw new FactsMismatchError(this.workflowId, facts.workflowId);
  }
}

function caseFactsForRules(facts: CaseFacts): Record<string, unknown> {
  return {
    caseId: facts.caseId,
    workflowId: facts.workflowId,
    trigger: facts.trigger,
    customer: facts.customer,
  };
}

const policies = new WeakMap<WorkflowDefinition, EligibilityPolicy>();

/** The compiled policy of a definition, compiled on first use and kept as long as the definition is. */
export function eligibilityPolicyFor(definition: WorkflowDefinition): EligibilityPolicy {
  let policy = policies.get(definition);
  if (policy === undefined) {
    policy = new EligibilityPolicy(definition);
    policies.set(definition, policy);
  }
  return policy;
}

import { Rule, type TopLevelCondition } from 'json-rules-engine';
import { operatorProblem, TEXT_UNSAFE_OPERATORS } from './rule-operators';

/** The facts an eligibility rule sees: the case. */
export const ELIGIBILITY_FACTS = ['caseId', 'workflowId', 'trigger', 'customer'] as const;
/** The facts a parameter rule sees: the case plus what the customer submitted (`parameters` = action.parameters). */
export const PARAMETER_FACTS = [...ELIGIBILITY_FACTS, 'parameters', 'action'] as const;

export interface ConditionProblem {
  path: string;
  rule: string;
}

const LEAF_KEYS = new Set(['fact', 'operator', 'value', 'path', 'params', 'name', 'priority']);
const BOOLEAN_KEYS = ['all', 'any', 'not'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether the fact and path read a value that is always a string (upstream attributes, mini-app parameters). */
function readsText(fact: string, path: unknown): boolean {
  const p = typeof path === 'string' ? path : '';
  return (
    fact === 'parameters' ||
    (fact === 'trigger' && p.startsWith('$.attributes')) ||
    (fact === 'action' && p.startsWith('$.parameters')) ||
    (fact === 'customer' && p !== '')
  );
}

function checkNode(node: unknown, path: string, facts: readonly string[], out: ConditionProblem[]): void {
  if (!isRecord(node)) {
    out.push({ path, rule: 'must be a condition object ({all}, {any}, {not} or {fact, operator, value})' });
    return;
  }
  if (Object.prototype.hasOwnProperty.call(node, 'condition')) {
    out.push({
      path: `${path}.condition`,
      rule: 'shared condition references are not supported: write the condition inline',
    });
    return;
  }
  const booleans = BOOLEAN_KEYS.filter((k) => Object.prototype.hasOwnProperty.call(node, k));
  if (booleans.length > 1) {
    out.push({ path, rule: `must hold exactly one of all, any, not (got ${booleans.join(', ')})` });
    return;
  }
  const [bool] = booleans;
  if (bool === 'all' || bool === 'any') {
    const children = node[bool];
    if (!Array.isArray(children) || children.length === 0) {
      out.push({ path: `${path}.${bool}`, rule: 'must be a non-empty list of conditions' });
      return;
    }
    children.forEach((child, i) => checkNode(child, `${path}.${bool}[${i}]`, facts, out));
    return;
  }
  if (bool === 'not') {
    if (Array.isArray(node['not']))
      out.push({ path: `${path}.not`, rule: 'must be a single condition, not a list' });
    else checkNode(node['not'], `${path}.not`, facts, out);
    return;
  }
  for (const key of Object.keys(node)) {
    if (!LEAF_KEYS.has(key)) out.push({ path: `${path}.${key}`, rule: 'is not a condition property' });
  }
  const { fact, operator, value } = node;
  if (typeof fact !== 'string')
    out.push({ path: `${path}.fact`, rule: `is required: one of ${facts.join(', ')}` });
  else if (!facts.includes(fact))
    out.push({ path: `${path}.fact`, rule: `must be one of ${facts.join(', ')} (got "${fact}")` });
  if (typeof operator !== 'string') {
    out.push({ path: `${path}.operator`, rule: 'is required' });
  } else {
    const problem = operatorProblem(operator);
    if (problem !== undefined) out.push({ path: `${path}.operator`, rule: problem });
    else if (
      typeof fact === 'string' &&
      TEXT_UNSAFE_OPERATORS.includes(operator) &&
      readsText(fact, node['path'])
    ) {
      out.push({
        path: `${path}.operator`,
        rule: `${operator} would compare text, this fact is a string: use number${operator[0]?.toUpperCase()}${operator.slice(1)}`,
      });
    }
    if (operator === 'present' && value !== undefined && typeof value !== 'boolean') {
      out.push({ path: `${path}.value`, rule: 'must be true or false for present' });
    }
    if ((operator === 'in' || operator === 'notIn') && !Array.isArray(value) && !isRecord(value)) {
      out.push({ path: `${path}.value`, rule: `must be a list for ${operator}` });
    }
  }
  if (value === undefined) out.push({ path: `${path}.value`, rule: 'is required' });
  if (node['path'] !== undefined && (typeof node['path'] !== 'string' || !node['path'].startsWith('$'))) {
    out.push({ path: `${path}.path`, rule: 'must be a JSONPath such as $.amount.amountMinor' });
  }
}

/**
 * Checks a condition tree the way the engine will read it, naming the offending condition; then lets
 * json-rules-engine itself compile the rule so anything it would reject is reported too.
 */
export function conditionProblems(tree: unknown, path: string, facts: readonly string[]): ConditionProblem[] {
  const out: ConditionProblem[] = [];
  checkNode(tree, path, facts, out);
  if (out.length === 0) {
    try {
      new Rule({ conditions: tree as TopLevelCondition, event: { type: 'check' } });
    } catch (error) {
      out.push({
        path,
        rule: `json-rules-engine cannot compile it: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return out;
}

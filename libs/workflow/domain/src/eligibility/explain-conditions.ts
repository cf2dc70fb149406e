import { operatorInWords } from './rule-operators';

/** A condition as json-rules-engine hands it back after a run: the tree with `result`, `factResult` filled in. */
interface EvaluatedCondition {
  all?: EvaluatedCondition[];
  any?: EvaluatedCondition[];
  not?: EvaluatedCondition;
  name?: string;
  fact?: string;
  path?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  result?: boolean;
}

const show = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v));

/** `trigger` + `$.attributes.arrearsDays` → `trigger.attributes.arrearsDays`. */
function factLabel(c: EvaluatedCondition): string {
  const path = typeof c.path === 'string' ? c.path.replace(/^\$\.?/, '') : '';
  return path === '' ? String(c.fact) : `${String(c.fact)}.${path}`;
}

function describeLeaf(c: EvaluatedCondition): string {
  if (c.operator === 'present')
    return `${factLabel(c)} is ${show(c.factResult)}, must be ${c.value === true ? 'present' : 'absent'}`;
  const target =
    typeof c.value === 'object' && c.value !== null && 'fact' in c.value
      ? `fact ${show((c.value as { fact: unknown }).fact)}`
      : show(c.value);
  return `${factLabel(c)} is ${show(c.factResult)}, ${operatorInWords(String(c.operator))} ${target}`;
}

/** What a condition requires, in words, whatever its result (used under `not`). */
function describe(c: EvaluatedCondition): string {
  const named = (text: string): string => (c.name === undefined ? text : `${c.name} (${text})`);
  if (c.all !== undefined) return named(`all of: ${c.all.map(describe).join('; ')}`);
  if (c.any !== undefined) return named(`any of: ${c.any.map(describe).join('; ')}`);
  if (c.not !== undefined) return named(`not: ${describe(c.not)}`);
  return named(describeLeaf(c));
}

/**
 * The conditions that made a rule fail, one sentence each, e.g.
 * `trigger.amount.amountMinor is 600000, must be at most 500000`. Conditions the engine skipped are left out.
 */
export function failedConditions(c: EvaluatedCondition): string[] {
  if (c.result !== false) return [];
  const named = (reasons: string[]): string[] =>
    c.name === undefined ? reasons : reasons.map((r) => `${c.name}: ${r}`);
  if (c.all !== undefined) return named(c.all.flatMap(failedConditions));
  if (c.any !== undefined) return named([`none of these holds: ${c.any.map(describe).join('; ')}`]);
  if (c.not !== undefined) return named([`must not hold: ${describe(c.not)}`]);
  return named([describeLeaf(c)]);
}

export type { EvaluatedCondition };

/**
 * Reading `path` (`$.amount.amountMinor`) inside a fact without a JSONPath engine, for the paths the seed workflows
 * use: `$` followed by dotted property names.
 *
 * json-rules-engine reads every condition's path with jsonpath-plus, which, called as json-rules-engine calls it,
 * throws and catches an Error to return each result: in the end-to-end benchmark's orchestrator profile that and
 * the engine's cloning were 1.6 % and 1.2 % of its CPU. A rule whose every path is of this plain form is given
 * `readPlainPath` as its path resolver; a rule with any other path (filters, wildcards, brackets) keeps
 * json-rules-engine's own.
 *
 * The result is jsonpath-plus's for these paths (eligibility.spec.ts compares the two on generated facts): each step
 * reads an own property of a truthy value, anything else is no match (undefined).
 */

const PLAIN_PATH = /^\$(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+$/;

export function isPlainPath(path: string): boolean {
  return PLAIN_PATH.test(path);
}

export function readPlainPath(value: object, path: string): unknown {
  let current: unknown = value;
  for (const key of path.slice(2).split('.')) {
    if (!current || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Every `path` in a condition tree (`all` / `any` / `not` nested to any depth). */
export function conditionPaths(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const child of node) conditionPaths(child, out);
  } else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record['path'] === 'string') out.push(record['path']);
    for (const key of ['all', 'any', 'not'] as const) if (key in record) conditionPaths(record[key], out);
  }
  return out;
}

/**
 * Dotted fact paths (`trigger.amount.amountMinor`, `action.parameters.cardToken`) as payload templates and
 * idempotency sequences use them. The roots and their fields are fixed here so a typo fails when the definition is
 * loaded, not when the first customer acts.
 */
export const FACT_ROOTS = {
  caseId: [],
  workflowId: [],
  trigger: ['eventId', 'eventType', 'sourceSystem', 'amount', 'attributes'],
  customer: ['customerId', 'accountId', 'locale', 'timeZone'],
  action: ['action', 'parameters', 'consentRef', 'identityMethod'],
} as const satisfies Record<string, readonly string[]>;

type FactRoot = keyof typeof FACT_ROOTS;

const isFactRoot = (name: string): name is FactRoot => Object.prototype.hasOwnProperty.call(FACT_ROOTS, name);

/** Why `path` cannot name a fact, or undefined when it can. */
export function factPathProblem(path: string): string | undefined {
  const segments = path.split('.');
  if (segments.some((s) => s.length === 0)) return `"${path}" is not a dotted fact path`;
  const [root, field] = segments;
  if (root === undefined || !isFactRoot(root)) {
    return `"${path}" must start with one of ${Object.keys(FACT_ROOTS).join(', ')}`;
  }
  const fields: readonly string[] = FACT_ROOTS[root];
  if (fields.length === 0) return segments.length === 1 ? undefined : `${root} has no fields (got "${path}")`;
  if (field === undefined) return `"${path}" must name a field of ${root} (${fields.join(', ')})`;
  if (!fields.includes(field)) return `${root} has no field "${field}" (fields: ${fields.join(', ')})`;
  return undefined;
}

/** The value at a dotted path, or undefined when any segment is absent or null. */
export function resolveFactPath(facts: object, path: string): unknown {
  let current: unknown = facts;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current ?? undefined;
}

/** The placeholders of a `{template}` value, e.g. `CLOSEOUT-{caseId}` → [`caseId`]. */
export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] ?? '');
}

/**
 * Where an idempotency sequence may come from: something that is the same every time the same business action is
 * replayed (the case, the upstream event, an upstream attribute) and never a per-attempt value.
 */
export function sequenceSourceProblem(sequence: string): string | undefined {
  if (sequence === 'caseId' || sequence === 'trigger.eventId') return undefined;
  if (/^trigger\.attributes\.[A-Za-z0-9_-]+$/.test(sequence)) return undefined;
  return `sequence "${sequence}" does not resolve to a stable fact: use caseId, trigger.eventId or trigger.attributes.<name>`;
}

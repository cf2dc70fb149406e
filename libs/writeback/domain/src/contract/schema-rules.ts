import type { z } from 'zod';
import type { ValidationIssue } from '../errors';

/**
 * zod error option whose message is the rule itself (`must be an integer ≥ 1`), or `is required` when the field
 * is absent, so a formatted issue reads `payload.amount.amountMinor: must be an integer ≥ 1`.
 */
export function rule(text: string): {
  error: (issue: { code?: string; input?: unknown }) => string | undefined;
} {
  return {
    // Unknown keys keep zod's own issue, which formatIssues turns into one line per key.
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? undefined : issue.input === undefined ? 'is required' : text,
  };
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    root,
  );
}

/** zod issues → one issue per offending field (the first rule it broke), paths rooted at `root`. */
export function formatIssues(root: string, issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  const out: ValidationIssue[] = [];
  const push = (path: string, text: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ path, rule: text });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        push(formatPath(root, [...issue.path, key]), 'is not a field of this contract');
    } else {
      push(formatPath(root, issue.path), issue.message);
    }
  }
  return out;
}

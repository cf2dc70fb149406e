import { WorkflowError } from './workflow-error';

/** One thing wrong with a definition: where it came from, which field, which rule it breaks. */
export interface DefinitionProblem {
  /** The file (or source label) the definition came from. */
  source: string;
  /** Dotted field path from the definition root, e.g. `actions[0].writebacks[1].protocol`. */
  path: string;
  rule: string;
}

export const formatProblem = (p: DefinitionProblem): string => `${p.source}: ${p.path}: ${p.rule}`;

/** A definition that cannot be used at all; the message lists every problem, one `<file>: <path>: <rule>` a line. */
export class WorkflowDefinitionError extends WorkflowError<'WORKFLOW_DEFINITION_INVALID'> {
  readonly problems: readonly DefinitionProblem[];

  constructor(problems: readonly DefinitionProblem[], options?: { cause?: unknown }) {
    super('WORKFLOW_DEFINITION_INVALID', problems.map(formatProblem).join('\n'), options);
    this.problems = problems;
  }
}

export class WorkflowNotFoundError extends WorkflowError<'WORKFLOW_NOT_FOUND'> {
  constructor(
    readonly workflowId: string,
    readonly version: string | undefined,
    known: readonly string[],
  ) {
    super(
      'WORKFLOW_NOT_FOUND',
      `workflow ${workflowId}${version === undefined ? '' : ` v${version}`} is not loaded (loaded: ${known.join(', ') || 'none'})`,
    );
  }
}

export interface MissingItem {
  /** The readiness item by name, e.g. `retryPolicy.AMBIGUOUS` or `audit.fields.ruleId`. */
  item: string;
  detail: string;
}

export interface Refusal {
  workflowId: string;
  version: string;
  missing: readonly MissingItem[];
}

/** The readiness gate refused one or more definitions; the message has one line per missing item of each. */
export class ReadinessError extends WorkflowError<'WORKFLOW_NOT_READY'> {
  constructor(readonly refusals: readonly Refusal[]) {
    super(
      'WORKFLOW_NOT_READY',
      refusals
        .flatMap((r) => r.missing.map((m) => `${r.workflowId} v${r.version}: ${m.item}: ${m.detail}`))
        .join('\n'),
    );
  }
}

/** A writeback could not be built because the case lacks a fact its payload template reads. */
export class MissingFactError extends WorkflowError<'WORKFLOW_FACT_MISSING'> {
  constructor(
    /** e.g. `writebacks.plan-arrangement.payload.accountId`. */
    field: string,
    /** The fact path that resolved to nothing, e.g. `customer.accountId`. */
    readonly factPath: string,
  ) {
    super('WORKFLOW_FACT_MISSING', `fact ${factPath} is missing from the case facts`, { field });
  }
}

/** A fact is there but cannot be used as the template says (a non-integer for `as: integer`, not money, …). */
export class InvalidFactError extends WorkflowError<'WORKFLOW_FACT_INVALID'> {
  constructor(
    field: string,
    readonly factPath: string,
    detail: string,
  ) {
    super('WORKFLOW_FACT_INVALID', `fact ${factPath} ${detail}`, { field });
  }
}

export interface PayloadIssue {
  path: string;
  rule: string;
}

/** The built canonical payload breaks the writeback contract; each issue names the field and the rule. */
export class WritebackPayloadError extends WorkflowError<'WORKFLOW_PAYLOAD_INVALID'> {
  constructor(
    readonly issues: readonly PayloadIssue[],
    options?: { cause?: unknown },
  ) {
    super('WORKFLOW_PAYLOAD_INVALID', issues.map((i) => `${i.path}: ${i.rule}`).join('; '), options);
  }
}

/** Facts of one case handed to another workflow's definition: a wiring bug in the caller. */
export class FactsMismatchError extends WorkflowError<'WORKFLOW_FACTS_MISMATCH'> {
  constructor(expected: string, got: string) {
    super('WORKFLOW_FACTS_MISMATCH', `case facts are for workflow ${got}, not ${expected}`);
  }
}

import { DomainError } from '@closeout/errors';

export interface ConfigProblem {
  field: string;
  rule: string;
}

/**
 * A channel provider's configuration does not hold: every problem names its field and rule, never the value
 * (tokens and secrets are among the fields). `field` is the first problem's.
 */
export class ProviderConfigError extends DomainError<'invalid_provider_config'> {
  constructor(
    readonly provider: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super('invalid_provider_config', problems.map((p) => `${p.field}: ${p.rule}`).join('; '), {
      field: problems[0]?.field,
    });
  }
}

/** A webhook body a provider adapter cannot read: names the field and what it must be, never the value. */
export class WebhookPayloadError extends DomainError<'invalid_webhook_payload'> {
  constructor(field: string, rule: string) {
    super('invalid_webhook_payload', rule, { field });
  }
}

/** The problems of a failed zod parse as `ConfigProblem`s. */
export function configProblems(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): ConfigProblem[] {
  return issues.map((i) => ({ field: i.path.map(String).join('.') || '(config)', rule: i.message }));
}

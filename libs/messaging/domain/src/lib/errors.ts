import { DomainError } from '@closeout/errors';

/** Why the messaging policy refused an input: a configuration or contact point that breaks a rule. */
export type MessagingPolicyErrorCode =
  | 'INVALID_SEND_WINDOW'
  | 'INVALID_TIME_ZONE'
  | 'INVALID_FREQUENCY_CAP'
  | 'INVALID_CONSENT_RECORD'
  | 'INVALID_CHANNEL_ORDER'
  | 'INVALID_PHONE_NUMBER'
  | 'INVALID_EMAIL';

/**
 * A refusal naming the field and the rule it breaks — never the value (a contact point is personal data, a
 * configuration value is echoed by the caller's own logs if needed).
 */
export class MessagingPolicyError extends DomainError<MessagingPolicyErrorCode> {
  constructor(code: MessagingPolicyErrorCode, field: string, rule: string) {
    super(code, rule, { field });
  }
}

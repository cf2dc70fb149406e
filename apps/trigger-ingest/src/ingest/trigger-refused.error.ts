import { DomainError } from '@closeout/errors';

/**
 * Why an upstream event was refused: it breaks a field rule, the caller may not publish for its source system, no
 * mapping takes it, or its event id was already used for a different event.
 */
export type TriggerRefusalCode =
  'TRIGGER_INVALID' | 'TRIGGER_FORBIDDEN' | 'TRIGGER_UNMAPPED' | 'TRIGGER_CONFLICT';

/** One thing wrong with an event: the dotted field path and the rule it broke (never the value). */
export interface FieldProblem {
  field: string;
  rule: string;
}

/**
 * An upstream event that can never become a trigger, however often it is sent. HTTP answers it with a 4xx
 * problem; the Kafka consumer sends the message to the topic's DLQ with this message as the reason.
 */
export class TriggerRefusedError extends DomainError<TriggerRefusalCode> {
  constructor(
    code: TriggerRefusalCode,
    readonly problems: FieldProblem[],
  ) {
    // Every problem names its own field, so the error as a whole names none; the message lists them all.
    super(code, problems.map((p) => `${p.field || '(event)'}: ${p.rule}`).join('; '));
  }
}

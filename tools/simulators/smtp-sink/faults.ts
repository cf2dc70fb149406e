/**
 * TEST DOUBLE — part of the local SMTP server (tools/simulators/smtp-sink), which stands in for a mail provider's
 * SMTP relay in tests, the devstack and the demo. Not production code.
 *
 * Fault injection: scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched
 * to a recipient address or domain (any of a transaction's recipients).
 */
import { z } from 'zod';
import { faultRuleSchemaOf, faultShorthandOf, CoreFaultBook } from '@closeout/simulators/shared';

export const FAULT_MODES = [
  /** After the message data: `451 4.3.0` (try again later), nothing stored. */
  'temp_fail',
  /** At `RCPT TO`: `550 5.1.1` (mailbox unavailable) for a matching recipient. */
  'reject_recipient',
  /** Take and store the message, then close the connection without answering the data: the client cannot know. */
  'drop_after_data',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const faultRuleSchema = faultRuleSchemaOf(FAULT_MODES, {
  match: z
    .strictObject({
      /** A recipient address, compared case-insensitively. */
      to: z.string().min(3).max(320).optional(),
      /** A recipient domain (the part after `@`), compared case-insensitively. */
      domain: z.string().min(1).max(255).optional(),
    })
    .optional(),
});

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** The recipients a rule is compared with: one at `RCPT TO`, all of the transaction's after the data. */
export interface RecipientContext {
  recipients: readonly string[];
}

function matches(rule: FaultRule, ctx: RecipientContext): boolean {
  const { match } = rule;
  if (!match) return true;
  return ctx.recipients.some((address) => {
    const lower = address.toLowerCase();
    if (match.to !== undefined && match.to.toLowerCase() !== lower) return false;
    if (match.domain !== undefined && match.domain.toLowerCase() !== lower.slice(lower.lastIndexOf('@') + 1))
      return false;
    return true;
  });
}

/** The sink's active faults: the shared rule book with this server's modes and recipient context. */
export class FaultBook extends CoreFaultBook<FaultRule, RecipientContext> {
  constructor(random: () => number) {
    super(random, faultRuleSchema, matches);
  }

  /** The first rule of `mode` that fires for these recipients; a counted rule is consumed. */
  take(mode: FaultMode, ctx: RecipientContext): FaultRule | undefined {
    return this.book.take((m) => m === mode, ctx, true);
  }
}

/** The CLI/env shorthand (`mode`, `mode@rate`, `mode*count`, comma-separated), e.g. `temp_fail*2,drop_after_data@0.1`. */
export const parseFaultShorthand: (text: string) => FaultRule[] = faultShorthandOf(faultRuleSchema);

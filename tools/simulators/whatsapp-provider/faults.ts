/**
 * TEST DOUBLE — part of the simulated WhatsApp Cloud API (tools/simulators/whatsapp-provider), which stands
 * in for Meta's WhatsApp Business Cloud API in tests and demos. Not production code.
 *
 * Fault injection: scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched
 * to one recipient (`match.to`). Several rules can shape one message: at most one answer fault, one final-status
 * fault, each callback fault and a customer reply.
 */
import { z } from 'zod';
import {
  countOrRate,
  countOrRateProblem,
  FaultBook as RuleBook,
  faultScheduleFields,
  faultTimingFields,
  parseFaultShorthand as sharedParseFaultShorthand,
  shorthandParser,
} from '@closeout/simulators/shared';

export const FAULT_MODES = [
  /** Answer 500 (or `status`) with a Graph error (code 2, service unavailable); nothing recorded, nothing sent. */
  'error_5xx',
  /** Answer 429 (code 130429, rate limit hit) with `Retry-After: <retryAfterSeconds>`; nothing recorded or sent. */
  'rate_limited',
  /** Record and send the message, then never answer: drop the connection after `delayMs` (0: at once). */
  'accept_then_timeout',
  /** Record and send the message, then answer 200 with another message's wamid and recipient (answers mixed up). */
  'foreign_answer',
  /** The message ends `failed` with `errorCode` (default 131026, message undeliverable). */
  'undeliverable',
  /** The message ends `failed` with `errorCode` (default 131000, something went wrong). */
  'send_failed',
  /** Every status callback of the message is POSTed twice. */
  'duplicate_callbacks',
  /** Every status callback of the message waits `delayMs` (default 2000) more. */
  'late_callbacks',
  /** The final status callback comes before `sent`. */
  'out_of_order_callbacks',
  /** After delivery, the customer replies `body` (default STOP): a signed inbound webhook, which opens the window. */
  'customer_reply',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const faultRuleSchema = z
  .strictObject({
    mode: z.enum(FAULT_MODES),
    ...faultScheduleFields,
    match: z.strictObject({ to: z.string().min(1).optional() }).optional(),
    ...faultTimingFields,
    status: z.int().min(500).max(599).optional(),
    errorCode: z.int().min(1).optional(),
    body: z.string().min(1).max(4096).optional(),
  })
  .refine(countOrRate, countOrRateProblem);

export type FaultRule = z.infer<typeof faultRuleSchema>;

export interface SendContext {
  to: string;
}

export const ANSWER_MODES: readonly FaultMode[] = [
  'error_5xx',
  'rate_limited',
  'accept_then_timeout',
  'foreign_answer',
];
export const FINAL_STATUS_MODES: readonly FaultMode[] = ['undeliverable', 'send_failed'];

export class FaultBook extends RuleBook<FaultRule, SendContext> {
  constructor(random: () => number) {
    super(
      random,
      (candidate) => faultRuleSchema.parse(candidate),
      (rule, ctx) => rule.match?.to === undefined || rule.match.to === ctx.to,
    );
  }

  /** The first rule among `modes` that fires for this message (counted rules are consumed). */
  pick(modes: readonly FaultMode[], ctx: SendContext): FaultRule | undefined {
    return this.take((m) => modes.includes(m), ctx, true);
  }
}

/** The CLI/env shorthand (`mode`, `mode@rate`, `mode*count`, comma-separated), e.g. `rate_limited*2,error_5xx@0.05`. */
export function parseFaultShorthand(text: string): FaultRule[] {
  return sharedParseFaultShorthand(text, shorthandParser(faultRuleSchema));
}

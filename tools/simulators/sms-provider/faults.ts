/**
 * TEST DOUBLE — part of the simulated Twilio-compatible SMS provider (tools/simulators/sms-provider), which stands
 * in for Twilio's Programmable Messaging API in tests and demos. Not production code.
 *
 * Fault injection, as every simulated messaging provider has it (tools/simulators/shared/message-provider.ts):
 * scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched to one recipient
 * (`match.to`). Several rules can shape one message: at most one answer fault, one final-status fault, each
 * callback fault and a customer reply. Here `error_5xx` answers Twilio's error JSON (code 20500), `rate_limited`
 * code 20429, `foreign_answer` a 201 with another message's sid and To, `undeliverable` ends the message
 * `undelivered` (ErrorCode default 30003 unreachable handset) and `send_failed` ends it `failed` (default 30008
 * unknown error).
 */
import { faultShorthandOf, messageFaultRuleSchema, type MessageFaultRule } from '@closeout/simulators/shared';

export {
  MESSAGE_FAULT_MODES as FAULT_MODES,
  type MessageFaultMode as FaultMode,
} from '@closeout/simulators/shared';

/** A scripted reply is one SMS: up to 1600 characters. */
export const faultRuleSchema = messageFaultRuleSchema(1600);
export type FaultRule = MessageFaultRule;

/** The CLI/env shorthand (`mode`, `mode@rate`, `mode*count`, comma-separated), e.g. `rate_limited*2,error_5xx@0.05`. */
export const parseFaultShorthand: (text: string) => FaultRule[] = faultShorthandOf(faultRuleSchema);

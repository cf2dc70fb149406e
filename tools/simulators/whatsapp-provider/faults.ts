/**
 * TEST DOUBLE — part of the simulated WhatsApp Cloud API (tools/simulators/whatsapp-provider), which stands
 * in for Meta's WhatsApp Business Cloud API in tests and demos. Not production code.
 *
 * Fault injection, as every simulated messaging provider has it (tools/simulators/shared/message-provider.ts):
 * scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched to one recipient
 * (`match.to`). Here `error_5xx` answers a Graph error (code 2, service unavailable), `rate_limited` code 130429
 * (rate limit hit), `foreign_answer` a 200 with another message's wamid and recipient, `undeliverable` ends the
 * message `failed` with `errorCode` (default 131026, message undeliverable), `send_failed` the same with default
 * 131000 (something went wrong), and a `customer_reply` opens the customer-service window.
 */
import { faultShorthandOf, messageFaultRuleSchema, type MessageFaultRule } from '@closeout/simulators/shared';

export {
  MESSAGE_FAULT_MODES as FAULT_MODES,
  type MessageFaultMode as FaultMode,
} from '@closeout/simulators/shared';

/** A scripted reply is one text message: up to 4096 characters. */
export const faultRuleSchema = messageFaultRuleSchema(4096);
export type FaultRule = MessageFaultRule;

/** The CLI/env shorthand (`mode`, `mode@rate`, `mode*count`, comma-separated), e.g. `rate_limited*2,error_5xx@0.05`. */
export const parseFaultShorthand: (text: string) => FaultRule[] = faultShorthandOf(faultRuleSchema);

/**
 * TEST DOUBLE — part of the simulated Splunk HTTP Event Collector (tools/simulators/splunk-hec). Not production code.
 *
 * Faults: scripted (`count` = the next N event posts), probabilistic (`rate`) or standing (neither).
 * - `busy`: 503 `{"text":"Server is busy","code":9}` (nothing indexed), with `Retry-After` when `retryAfterSeconds`.
 * - `acks_stay_false`: the batch is indexed and gets an ackId, but the ack never turns true.
 * - `acks_lost`: the batch gets an ackId but is not indexed and the ackId is forgotten (an indexer that crashed
 *   before indexing): the ack reads false for ever.
 * - `bad_token`: every request answers 403 `{"text":"Invalid token","code":4}`, whatever the token.
 * - `down`: the listener closes (connections refused, open ones reset) for `durationMs`, then listens again.
 */
import { z } from 'zod';
import {
  countOrRate,
  countOrRateProblem,
  faultScheduleFields,
  parseFaultShorthand as parseShorthand,
  shorthandParser,
} from '@closeout/simulators/shared';

export const FAULT_MODES = ['busy', 'acks_stay_false', 'acks_lost', 'bad_token', 'down'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export const faultRuleSchema = z
  .strictObject({
    mode: z.enum(FAULT_MODES),
    ...faultScheduleFields,
    retryAfterSeconds: z.int().min(0).max(3600).optional(),
    durationMs: z.int().min(1).max(600_000).optional(),
  })
  .refine(countOrRate, countOrRateProblem)
  .refine((r) => r.mode !== 'down' || r.durationMs !== undefined, {
    path: ['durationMs'],
    message: 'down needs durationMs',
  });
export type FaultRule = z.infer<typeof faultRuleSchema>;

/** `busy@0.1,acks_stay_false*3,down:60000*1` (the number after `:` is `durationMs` of `down`). */
export function parseFaultShorthand(text: string): FaultRule[] {
  return parseShorthand(text, shorthandParser(faultRuleSchema), { down: 'durationMs' });
}

/**
 * TEST DOUBLE — part of the simulated REST core banking system (tools/simulators/rest-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * Fault injection: scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched
 * to one idempotency key or path.
 */
import { z } from 'zod';
import {
  faultTimingFields,
  RequestFaultBook,
  type RequestFaultOf,
  faultRuleSchemaOf,
  faultShorthandOf,
} from '@closeout/simulators/shared';

export const FAULT_MODES = [
  /** Answer 500 (or `status`), commit nothing. */
  'error_5xx',
  /** Destroy the socket without answering, commit nothing. */
  'connection_reset',
  /** Commit, then answer only after `delayMs` — longer than a client's timeout. */
  'slow_commit',
  /** Commit, then never answer: destroy the socket after `delayMs` (0: at once). */
  'commit_then_timeout',
  /** Answer 429 with `Retry-After: <retryAfterSeconds>`, commit nothing. */
  'rate_limited',
  /** Answer 422 (or `status` 400) as if the payload were invalid, commit nothing. */
  'invalid_4xx',
  /** Ignore `Idempotency-Key`: every request posts anew, so only the client's ledger prevents duplicates. */
  'ignore_idempotency_key',
  /** Every write answers 503 and /health reports unavailable: for circuit-breaker tests. */
  'fail_all',
  /**
   * Take `delayMs` to commit (default: the slow-commit delay); meanwhile every other write under the same key is
   * answered 409 `idempotency_key_in_use` with Retry-After, as the IETF Idempotency-Key draft and Stripe do.
   */
  'in_progress',
  /** Commit, then answer with another posting's transaction id and idempotency key (a proxy mixing up answers). */
  'foreign_answer',
  /** Commit nothing, answer 200 `{"status":"REJECTED","error":"insufficient_funds"}`: a refusal inside a 2xx. */
  'reject_2xx',
  /** Commit nothing, answer 500 with an `error` field of `sizeBytes` characters (default 5 MB). */
  'huge_error',
  /** Commit, then answer 502 with a gateway's HTML page: the answer was lost on the way back. */
  'gateway_page',
  /** Standing: lookups by key or reference do not see postings younger than `delayMs` (a lagging read replica). */
  'lagging_lookup',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const faultRuleSchema = faultRuleSchemaOf(FAULT_MODES, {
  match: z
    .strictObject({
      idempotencyKey: z.string().min(1).optional(),
      path: z.string().startsWith('/').optional(),
    })
    .optional(),
  ...faultTimingFields,
  status: z.int().min(400).max(599).optional(),
  sizeBytes: z
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .optional(),
});

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** A rule that shapes one request's answer: not `fail_all`, `ignore_idempotency_key` or `lagging_lookup`. */
export type RequestFault = RequestFaultOf<FaultRule, 'lagging_lookup'>;

export interface WriteContext {
  path: string;
  idempotencyKey: string | null;
}

/** The core's active faults: the shared request fault book; `lagging_lookup` is the lagging read replica. */
export class FaultBook extends RequestFaultBook<FaultRule, WriteContext, 'lagging_lookup'> {
  constructor(random: () => number) {
    super(random, faultRuleSchema, 'lagging_lookup');
  }
}

/** The CLI/env shorthand (`mode`, `mode@rate`, `mode*count`, comma-separated), e.g. `error_5xx@0.05,rate_limited*2`. */
export const parseFaultShorthand: (text: string) => FaultRule[] = faultShorthandOf(faultRuleSchema);

/**
 * TEST DOUBLE — part of the simulated SOAP core banking system (tools/simulators/soap-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * Fault injection: scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched
 * to one idempotency key or operation — the same shape as rest-core's rules, with SOAP-flavoured modes.
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
  /** Fault `CB-1001` (invalid request), post nothing. */
  'vendor_invalid',
  /** Fault `CB-5003` (host unavailable), post nothing. */
  'vendor_transient',
  /** Post, then fault `CB-9001` (transaction status unknown): the caller cannot tell it was applied. */
  'vendor_ambiguous',
  /** Post, then answer only after `delayMs` — longer than a client's timeout. */
  'slow_commit',
  /** Post, then never answer: destroy the socket after `delayMs` (0: at once). */
  'commit_then_timeout',
  /** Fault `CB-4290` with `RetryAfterSeconds`, post nothing. */
  'throttled',
  /**
   * The core's own middleware runs the request twice (as a gateway retrying a slow backend would): two postings
   * unless the request carries an IdempotencyKey, in which case the second run is deduplicated.
   */
  'server_retry',
  /** Every call faults `CB-5003` and GET /health answers 503: for circuit-breaker tests. */
  'fail_all',
  /** Post as if no IdempotencyKey had come: every write posts anew (a core that ignores keys). */
  'ignore_idempotency_key',
  /** Post, then answer with this call's ClientCorrelationId but another posting's TransactionRef (a lying core). */
  'foreign_ref',
  /** Post, then answer HTTP 502 with a gateway's HTML page and no SOAP fault: the answer was lost on the way back. */
  'gateway_page',
  /** Post nothing, answer a WriteResult with Status REJECTED: a refusal inside a normal answer. */
  'reject_status',
  /** Standing: QueryTransaction does not see postings younger than `delayMs` (a lagging read replica). */
  'lagging_query',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const faultRuleSchema = faultRuleSchemaOf(FAULT_MODES, {
  match: z
    .strictObject({
      idempotencyKey: z.string().min(1).optional(),
      /** A SOAP operation name, e.g. `PostPayment`. */
      operation: z.string().min(1).optional(),
    })
    .optional(),
  ...faultTimingFields,
});

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** A rule that shapes one request's answer: not `fail_all`, `ignore_idempotency_key` or `lagging_query`. */
export type RequestFault = RequestFaultOf<FaultRule, 'lagging_query'>;

export interface CallContext {
  operation: string;
  idempotencyKey: string | null;
}

/** The core's active faults: the shared request fault book; `lagging_query` is the lagging read replica. */
export class FaultBook extends RequestFaultBook<FaultRule, CallContext, 'lagging_query'> {
  constructor(random: () => number) {
    super(random, faultRuleSchema, 'lagging_query');
  }
}

/** The CLI/env shorthand (`mode`, `mode@rate`, `mode*count`, comma-separated), e.g. `vendor_transient@0.05,throttled*2`. */
export const parseFaultShorthand: (text: string) => FaultRule[] = faultShorthandOf(faultRuleSchema);

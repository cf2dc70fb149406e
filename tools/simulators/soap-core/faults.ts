/**
 * TEST DOUBLE — part of the simulated SOAP core banking system (tools/simulators/soap-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * Fault injection: scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched
 * to one idempotency key or operation — the same shape as rest-core's rules, with SOAP-flavoured modes.
 */
import { z } from 'zod';

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
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const faultRuleSchema = z
  .strictObject({
    mode: z.enum(FAULT_MODES),
    /** Hit the next `count` matching calls, then expire. */
    count: z.int().min(1).optional(),
    /** Hit each matching call with this probability, until cleared. */
    rate: z.number().min(0).max(1).optional(),
    match: z
      .strictObject({
        idempotencyKey: z.string().min(1).optional(),
        /** A SOAP operation name, e.g. `PostPayment`. */
        operation: z.string().min(1).optional(),
      })
      .optional(),
    delayMs: z.int().min(0).optional(),
    retryAfterSeconds: z.int().min(0).optional(),
  })
  .refine((r) => r.count === undefined || r.rate === undefined, {
    path: ['rate'],
    message: 'give either count or rate, not both',
  });

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** Modes that shape one write's answer; `fail_all` is a standing mode instead. */
export type RequestFaultMode = Exclude<FaultMode, 'fail_all'>;
export type RequestFault = FaultRule & { mode: RequestFaultMode };

function isRequestFaultMode(mode: FaultMode): mode is RequestFaultMode {
  return mode !== 'fail_all';
}

export interface CallContext {
  operation: string;
  idempotencyKey: string | null;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number | undefined;
}

export class FaultBook {
  private rules: ActiveRule[] = [];

  constructor(private readonly random: () => number) {}

  add(...rules: FaultRule[]): void {
    for (const candidate of rules) {
      const rule = faultRuleSchema.parse(candidate);
      this.rules.push({ rule, remaining: rule.count });
    }
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ rule, remaining }) =>
      remaining === undefined ? rule : { ...rule, count: remaining },
    );
  }

  /** Whether a standing or matching `fail_all` is on (consumes a counted one only when `consume` is true). */
  failAll(ctx: CallContext | null, consume = true): boolean {
    return this.take((m) => m === 'fail_all', ctx, consume) !== undefined;
  }

  /** The per-request fault for this write, if any fires; counted rules are consumed. */
  pick(ctx: CallContext): RequestFault | undefined {
    return this.take(isRequestFaultMode, ctx, true) as RequestFault | undefined;
  }

  private take(
    modes: (mode: FaultMode) => boolean,
    ctx: CallContext | null,
    consume: boolean,
  ): FaultRule | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (!modes(rule.mode)) continue;
      if (ctx === null ? rule.match !== undefined : !matches(rule, ctx)) continue;
      if (rule.rate !== undefined && !(this.random() < rule.rate)) continue;
      if (consume && active.remaining !== undefined) {
        active.remaining -= 1;
        if (active.remaining === 0) this.rules = this.rules.filter((r) => r !== active);
      }
      return rule;
    }
    return undefined;
  }
}

function matches(rule: FaultRule, ctx: CallContext): boolean {
  const { match } = rule;
  if (!match) return true;
  if (match.operation !== undefined && match.operation !== ctx.operation) return false;
  if (match.idempotencyKey !== undefined && match.idempotencyKey !== ctx.idempotencyKey) return false;
  return true;
}

/**
 * Parses the CLI/env shorthand: `mode` (standing), `mode@0.1` (rate), `mode*3` (count), comma-separated,
 * e.g. `vendor_transient@0.05,throttled*2`.
 */
export function parseFaultShorthand(text: string): FaultRule[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item) => {
      const m = /^([a-z_0-9]+)(?:@([0-9.]+)|\*(\d+))?$/.exec(item);
      if (!m) throw new Error(`fault "${item}": expected mode, mode@rate or mode*count`);
      const candidate = {
        mode: m[1],
        ...(m[2] !== undefined ? { rate: Number(m[2]) } : {}),
        ...(m[3] !== undefined ? { count: Number(m[3]) } : {}),
      };
      const parsed = faultRuleSchema.safeParse(candidate);
      if (!parsed.success) {
        throw new Error(
          `fault "${item}": ${parsed.error.issues.map((i) => `${i.path.join('.') || 'mode'}: ${i.message}`).join('; ')}`,
        );
      }
      return parsed.data;
    });
}

/**
 * TEST DOUBLE — part of the simulated REST core banking system (tools/simulators/rest-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * Fault injection: scripted (`count`), probabilistic (`rate`) or standing (neither) rules, each optionally matched
 * to one idempotency key or path.
 */
import { z } from 'zod';

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
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const faultRuleSchema = z
  .strictObject({
    mode: z.enum(FAULT_MODES),
    /** Hit the next `count` matching writes, then expire. */
    count: z.int().min(1).optional(),
    /** Hit each matching write with this probability, until cleared. */
    rate: z.number().min(0).max(1).optional(),
    match: z
      .strictObject({
        idempotencyKey: z.string().min(1).optional(),
        path: z.string().startsWith('/').optional(),
      })
      .optional(),
    delayMs: z.int().min(0).optional(),
    retryAfterSeconds: z.int().min(0).optional(),
    status: z.int().min(400).max(599).optional(),
  })
  .refine((r) => r.count === undefined || r.rate === undefined, {
    path: ['rate'],
    message: 'give either count or rate, not both',
  });

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** Modes that shape one request's answer; `fail_all` and `ignore_idempotency_key` are standing modes instead. */
export type RequestFaultMode = Exclude<FaultMode, 'fail_all' | 'ignore_idempotency_key'>;
export type RequestFault = FaultRule & { mode: RequestFaultMode };

function isRequestFaultMode(mode: FaultMode): mode is RequestFaultMode {
  return mode !== 'fail_all' && mode !== 'ignore_idempotency_key';
}

export interface WriteContext {
  path: string;
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
  failAll(ctx: WriteContext | null, consume = true): boolean {
    return this.take((m) => m === 'fail_all', ctx, consume) !== undefined;
  }

  ignoresIdempotencyKey(ctx: WriteContext): boolean {
    return this.take((m) => m === 'ignore_idempotency_key', ctx, true) !== undefined;
  }

  /** The per-request fault for this write, if any fires; counted rules are consumed. */
  pick(ctx: WriteContext): RequestFault | undefined {
    return this.take(isRequestFaultMode, ctx, true) as RequestFault | undefined;
  }

  private take(
    modes: (mode: FaultMode) => boolean,
    ctx: WriteContext | null,
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

function matches(rule: FaultRule, ctx: WriteContext): boolean {
  const { match } = rule;
  if (!match) return true;
  if (match.path !== undefined && match.path !== ctx.path) return false;
  if (match.idempotencyKey !== undefined && match.idempotencyKey !== ctx.idempotencyKey) return false;
  return true;
}

/**
 * Parses the CLI/env shorthand: `mode` (standing), `mode@0.1` (rate), `mode*3` (count), comma-separated,
 * e.g. `error_5xx@0.05,rate_limited*2`.
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

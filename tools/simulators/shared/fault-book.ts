/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * Active fault rules of a simulated core: scripted (`count`, consumed as they fire), probabilistic (`rate`) or
 * standing (neither), each optionally matched to one request. The core supplies how a rule is validated and how
 * its `match` is compared with a request; which modes it asks for is its own business.
 */
import { z } from 'zod';

export interface FaultRuleShape {
  mode: string;
  count?: number | undefined;
  rate?: number | undefined;
  match?: object | undefined;
}

interface ActiveRule<R> {
  rule: R;
  remaining: number | undefined;
}

export class FaultBook<R extends FaultRuleShape, C> {
  private rules: ActiveRule<R>[] = [];

  constructor(
    private readonly random: () => number,
    private readonly parse: (candidate: unknown) => R,
    private readonly matches: (rule: R, ctx: C) => boolean,
  ) {}

  add(...rules: R[]): void {
    for (const candidate of rules) {
      const rule = this.parse(candidate);
      this.rules.push({ rule, remaining: rule.count });
    }
  }

  clear(): void {
    this.rules = [];
  }

  list(): R[] {
    return this.rules.map(({ rule, remaining }) =>
      remaining === undefined ? rule : { ...rule, count: remaining },
    );
  }

  /**
   * The first rule of the given modes that fires for `ctx` (null: only rules without a match); a counted rule is
   * consumed when `consume` is true. `applies` lets the caller skip a rule that would change nothing here, so a
   * counted rule keeps its count (and a rate rule draws no random number) for a call where it bites.
   */
  take(
    modes: (mode: R['mode']) => boolean,
    ctx: C | null,
    consume: boolean,
    applies: (rule: R) => boolean = () => true,
  ): R | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (!modes(rule.mode)) continue;
      if (ctx === null ? rule.match !== undefined : !this.matches(rule, ctx)) continue;
      if (!applies(rule)) continue;
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

/**
 * Parses the CLI/env shorthand: `mode` (standing), `mode@0.1` (rate), `mode*3` (count), comma-separated, each
 * validated by `parse`, which returns the rule or the problems (field: rule). A core whose modes take one numeric
 * parameter names them in `params` (mode → the rule's field), and the shorthand then reads `mode:N` too, e.g.
 * `partial_ingest:2*1` for `{ mode: 'partial_ingest', afterRecords: 2, count: 1 }`.
 */
export function parseFaultShorthand<R>(
  text: string,
  parse: (candidate: unknown) => { success: true; data: R } | { success: false; problems: string },
  params?: Readonly<Partial<Record<string, string>>>,
): R[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item) => {
      const m = /^([a-z_0-9]+)(?::(\d+))?(?:@([0-9.]+)|\*(\d+))?$/.exec(item);
      if (!m || (m[2] !== undefined && !params)) {
        throw new Error(
          `fault "${item}": ${params ? 'expected mode[:param][@rate|*count]' : 'expected mode, mode@rate or mode*count'}`,
        );
      }
      const [, mode, param, rate, count] = m;
      let paramField: Record<string, number> = {};
      if (param !== undefined && params) {
        const field = params[mode!];
        if (field === undefined) {
          const taking = Object.entries(params)
            .map(([withParam, name]) => `${withParam} (:${name})`)
            .join(', ');
          throw new Error(`fault "${item}": param: only ${taking} take one`);
        }
        paramField = { [field]: Number(param) };
      }
      const parsed = parse({
        mode,
        ...paramField,
        ...(rate !== undefined ? { rate: Number(rate) } : {}),
        ...(count !== undefined ? { count: Number(count) } : {}),
      });
      if (!parsed.success) throw new Error(`fault "${item}": ${parsed.problems}`);
      return parsed.data;
    });
}

/** The standing modes every request-answering core has, besides the mode of its lagging read replica. */
export const COMMON_STANDING_MODES = ['fail_all', 'ignore_idempotency_key'] as const;

/** A rule that shapes one request's answer: none of the standing modes (`L`: the core's lagging-replica mode). */
export type RequestFaultOf<R extends FaultRuleShape, L extends string> = R & {
  mode: Exclude<R['mode'], (typeof COMMON_STANDING_MODES)[number] | L>;
};

/**
 * The fault book of a core that answers requests one by one (rest-core, soap-core): a rule book with the standing
 * modes every such core has (`fail_all`, `ignore_idempotency_key`, its lagging read replica `lagMode`) and the rest
 * picked per request. A rule's `match` picks requests by their fields (`matchesRequest`).
 */
export class RequestFaultBook<
  R extends FaultRuleShape & { match?: Partial<C> | undefined },
  C extends object,
  L extends R['mode'],
> {
  private readonly book: FaultBook<R, C>;
  private readonly standingModes: readonly R['mode'][];

  constructor(
    random: () => number,
    schema: { parse(candidate: unknown): R },
    /** The standing mode under which reads trail commits by the rule's `delayMs`. */
    private readonly lagMode: L,
  ) {
    this.book = new FaultBook(random, (candidate) => schema.parse(candidate), matchesRequest);
    this.standingModes = [...COMMON_STANDING_MODES, lagMode];
  }

  add(...rules: R[]): void {
    this.book.add(...rules);
  }

  clear(): void {
    this.book.clear();
  }

  list(): R[] {
    return this.book.list();
  }

  /** Whether a standing or matching `fail_all` is on (consumes a counted one only when `consume` is true). */
  failAll(ctx: C | null, consume = true): boolean {
    return this.book.take((m) => m === 'fail_all', ctx, consume) !== undefined;
  }

  /** Whether this write is handled as if it carried no key (`ignore_idempotency_key`, standing or at a rate). */
  ignoresIdempotencyKey(ctx: C): boolean {
    return this.book.take((m) => m === 'ignore_idempotency_key', ctx, true) !== undefined;
  }

  /** How far reads trail commits under a standing `lagMode` rule, in ms; 0 when they do not. */
  replicaLagMs(): number {
    const rule = this.book.take((m) => m === this.lagMode, null, false) as
      (R & { delayMs?: number }) | undefined;
    return rule?.delayMs ?? 0;
  }

  /** The per-request fault for this call, if any fires; counted rules are consumed. */
  pick(ctx: C): RequestFaultOf<R, L> | undefined {
    return this.book.take((m) => !this.standingModes.includes(m), ctx, true) as
      RequestFaultOf<R, L> | undefined;
  }
}

/**
 * How a request-answering core's rule picks its requests: every field its `match` gives equals the request's field
 * of that name (no `match`: every request).
 */
export function matchesRequest<C extends object>(rule: { match?: Partial<C> | undefined }, ctx: C): boolean {
  const { match } = rule;
  if (!match) return true;
  return Object.entries(match).every(
    ([field, value]) => value === undefined || value === ctx[field as keyof C],
  );
}

/** A zod schema's `safeParse` as `parseFaultShorthand` wants it: problems as `field: rule`. */
export function shorthandParser<R>(schema: {
  safeParse(
    candidate: unknown,
  ):
    | { success: true; data: R }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}): (candidate: unknown) => { success: true; data: R } | { success: false; problems: string } {
  return (candidate) => {
    const parsed = schema.safeParse(candidate);
    return parsed.success
      ? { success: true, data: parsed.data }
      : {
          success: false,
          problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'mode'}: ${i.message}`).join('; '),
        };
  };
}

/**
 * When a core's fault rule fires: `count` (hit the next `count` matching calls, batches or records, then expire) or
 * `rate` (hit each matching one with this probability, until cleared); neither: standing. Spread into the core's
 * `z.strictObject` after `mode`, and refine with `countOrRate`.
 */
export const faultScheduleFields = {
  count: z.int().min(1).optional(),
  rate: z.number().min(0).max(1).optional(),
};

/** The timing fields of a request-answering core's fault rule: spread in after `match`. */
export const faultTimingFields = {
  delayMs: z.int().min(0).optional(),
  retryAfterSeconds: z.int().min(0).optional(),
};

/** A rule gives `count` or `rate`, not both: `schema.refine(countOrRate, countOrRateProblem)`. */
export const countOrRate = (r: { count?: number | undefined; rate?: number | undefined }): boolean =>
  r.count === undefined || r.rate === undefined;
export const countOrRateProblem: { path: PropertyKey[]; message: string } = {
  path: ['rate'],
  message: 'give either count or rate, not both',
};

/**
 * A core's fault rule schema: `mode` (one of `modes`), when it fires (`faultScheduleFields`), then the core's own
 * fields (`match`, timing, parameters), refined so a rule gives `count` or `rate`, not both. A core with more rules
 * between fields chains its own `refine`s.
 */
export function faultRuleSchemaOf<const M extends readonly [string, ...string[]], S extends z.ZodRawShape>(
  modes: M,
  fields: S,
) {
  return z
    .strictObject({ mode: z.enum(modes), ...faultScheduleFields, ...fields })
    .refine((rule) => countOrRate(rule as Parameters<typeof countOrRate>[0]), countOrRateProblem);
}

/** The CLI/env shorthand parser of a core's rule schema (`params`: as `parseFaultShorthand` takes them). */
export function faultShorthandOf<R>(
  schema: Parameters<typeof shorthandParser<R>>[0],
  params?: Readonly<Partial<Record<string, string>>>,
): (text: string) => R[] {
  const parse = shorthandParser(schema);
  return (text) => parseFaultShorthand(text, parse, params);
}

/**
 * The fault book of a core that takes its rules its own way (a subclass adds how): the shared rule book over the
 * core's schema and `matches`, with the add, clear and list the admin API and the controls use.
 */
export abstract class CoreFaultBook<R extends FaultRuleShape, C> {
  protected readonly book: FaultBook<R, C>;

  constructor(
    random: () => number,
    schema: { parse(candidate: unknown): R },
    matches: (rule: R, ctx: C) => boolean,
  ) {
    this.book = new FaultBook(random, (candidate) => schema.parse(candidate), matches);
  }

  add(...rules: R[]): void {
    this.book.add(...rules);
  }

  clear(): void {
    this.book.clear();
  }

  list(): R[] {
    return this.book.list();
  }
}

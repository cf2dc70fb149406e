/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * Active fault rules of a simulated core: scripted (`count`, consumed as they fire), probabilistic (`rate`) or
 * standing (neither), each optionally matched to one request. The core supplies how a rule is validated and how
 * its `match` is compared with a request; which modes it asks for is its own business.
 */
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
   * consumed when `consume` is true.
   */
  take(modes: (mode: R['mode']) => boolean, ctx: C | null, consume: boolean): R | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (!modes(rule.mode)) continue;
      if (ctx === null ? rule.match !== undefined : !this.matches(rule, ctx)) continue;
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
 * validated by `parse`, which returns the rule or the problems (field: rule).
 */
export function parseFaultShorthand<R>(
  text: string,
  parse: (candidate: unknown) => { success: true; data: R } | { success: false; problems: string },
): R[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item) => {
      const m = /^([a-z_0-9]+)(?:@([0-9.]+)|\*(\d+))?$/.exec(item);
      if (!m) throw new Error(`fault "${item}": expected mode, mode@rate or mode*count`);
      const parsed = parse({
        mode: m[1],
        ...(m[2] !== undefined ? { rate: Number(m[2]) } : {}),
        ...(m[3] !== undefined ? { count: Number(m[3]) } : {}),
      });
      if (!parsed.success) throw new Error(`fault "${item}": ${parsed.problems}`);
      return parsed.data;
    });
}

import { z } from 'zod';
import { FaultBook, parseFaultShorthand, shorthandParser } from './fault-book';
import { seededRandom } from './seeded-random';

const ruleSchema = z.strictObject({
  mode: z.enum(['error', 'partial']),
  count: z.int().min(1).optional(),
  rate: z.number().min(0).max(1).optional(),
  match: z.strictObject({ key: z.string() }).optional(),
  afterRecords: z.int().min(0).optional(),
});
type Rule = z.infer<typeof ruleSchema>;

const book = (random: () => number = () => 0) =>
  new FaultBook<Rule, { key: string }>(
    random,
    (candidate) => ruleSchema.parse(candidate),
    (rule, ctx) => rule.match === undefined || rule.match.key === ctx.key,
  );

describe('FaultBook', () => {
  it('consumes a counted rule as it fires and drops it when spent', () => {
    const faults = book();
    faults.add({ mode: 'error', count: 2 });
    expect(faults.take((m) => m === 'error', { key: 'a' }, true)).toEqual({ mode: 'error', count: 2 });
    expect(faults.list()).toEqual([{ mode: 'error', count: 1 }]);
    expect(faults.take((m) => m === 'error', { key: 'a' }, true)).toBeDefined();
    expect(faults.take((m) => m === 'error', { key: 'a' }, true)).toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  it('keeps the count of a rule the caller says would change nothing here', () => {
    const faults = book();
    faults.add({ mode: 'partial', afterRecords: 5, count: 1 });
    const bites = (records: number) => (rule: Rule) => (rule.afterRecords ?? 0) < records;
    expect(faults.take((m) => m === 'partial', { key: 'a' }, true, bites(3))).toBeUndefined();
    expect(faults.list()).toEqual([{ mode: 'partial', afterRecords: 5, count: 1 }]);
    expect(faults.take((m) => m === 'partial', { key: 'a' }, true, bites(8))).toMatchObject({
      afterRecords: 5,
    });
    expect(faults.list()).toEqual([]);
  });

  it('fires a rate rule as often as the random source says, and only for a matching context', () => {
    const faults = book(seededRandom(7));
    faults.add({ mode: 'error', rate: 0.5, match: { key: 'a' } });
    const fired = Array.from({ length: 200 }, () => faults.take(() => true, { key: 'a' }, true)).filter(
      Boolean,
    );
    expect(fired.length).toBeGreaterThan(70);
    expect(fired.length).toBeLessThan(130);
    expect(faults.take(() => true, { key: 'b' }, true)).toBeUndefined();
    expect(faults.take(() => true, null, true)).toBeUndefined();
  });
});

describe('parseFaultShorthand', () => {
  const parse = shorthandParser(ruleSchema);

  it('reads mode, mode@rate and mode*count', () => {
    expect(parseFaultShorthand('error, partial@0.25,error*3', parse)).toEqual([
      { mode: 'error' },
      { mode: 'partial', rate: 0.25 },
      { mode: 'error', count: 3 },
    ]);
  });

  it('reads mode:N only for the modes that take a parameter', () => {
    const params = { partial: 'afterRecords' };
    expect(parseFaultShorthand('partial:2*1', parse, params)).toEqual([
      { mode: 'partial', afterRecords: 2, count: 1 },
    ]);
    expect(() => parseFaultShorthand('error:2', parse, params)).toThrow(
      'fault "error:2": param: only partial (:afterRecords) take one',
    );
    expect(() => parseFaultShorthand('partial:2', parse)).toThrow(
      'fault "partial:2": expected mode, mode@rate or mode*count',
    );
  });

  it('names the field and rule of a rule the schema refuses', () => {
    expect(() => parseFaultShorthand('bogus', parse)).toThrow(/^fault "bogus": mode: /);
    expect(() => parseFaultShorthand('error@1.5', parse)).toThrow(/^fault "error@1.5": rate: /);
  });
});

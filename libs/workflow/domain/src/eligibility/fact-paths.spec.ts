import fc from 'fast-check';
import { JSONPath } from 'jsonpath-plus';
import { conditionPaths, isPlainPath, readPlainPath } from './fact-paths';

/** What json-rules-engine 7 reads by default (its almanac's defaultPathResolver). */
const jsonPathRead = (value: object, path: string): unknown => JSONPath({ path, json: value, wrap: false });

describe('readPlainPath', () => {
  it('reads what jsonpath-plus reads for plain paths, on generated facts', () => {
    const key = fc.constantFrom(
      'amount',
      'amountMinor',
      'currency',
      'attributes',
      'length',
      'a',
      'b',
      '$x',
      '_y',
    );
    const path = fc.array(key, { minLength: 1, maxLength: 4 }).map((keys) => `$.${keys.join('.')}`);
    const leaf = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.integer(),
      fc.constantFrom('', '0', 'GBP', 'abc'),
      fc.constant(0),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node;
    const fact = fc.dictionary(key, value, { maxKeys: 4 });
    fc.assert(
      fc.property(fact, path, (f, p) => {
        expect(isPlainPath(p)).toBe(true);
        expect(readPlainPath(f, p)).toEqual(jsonPathRead(f, p));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads nested values, and nothing where a step is missing', () => {
    const trigger = { amount: { amountMinor: 1200, currency: 'GBP' }, attributes: { declineReason: '' } };
    expect(readPlainPath(trigger, '$.amount.amountMinor')).toBe(1200);
    expect(readPlainPath(trigger, '$.attributes.declineReason')).toBe('');
    expect(readPlainPath(trigger, '$.attributes.declineReason.length')).toBeUndefined();
    expect(readPlainPath(trigger, '$.missing.amountMinor')).toBeUndefined();
  });
});

describe('isPlainPath and conditionPaths', () => {
  it('accepts dotted names only, and finds every path in a nested condition', () => {
    expect(isPlainPath('$.amount.amountMinor')).toBe(true);
    for (const other of ['$', '$..amount', '$.items[0]', '$.items[*].sku', "$['amount']", 'amount', '$.a.']) {
      expect(isPlainPath(other)).toBe(false);
    }
    const tree = {
      all: [
        { fact: 'trigger', path: '$.amount.currency', operator: 'equal', value: 'GBP' },
        { any: [{ not: { fact: 'trigger', path: '$.attributes.returnReason', operator: 'in', value: [] } }] },
        { fact: 'caseId', operator: 'present', value: true },
      ],
    };
    expect(conditionPaths(tree)).toEqual(['$.amount.currency', '$.attributes.returnReason']);
  });
});

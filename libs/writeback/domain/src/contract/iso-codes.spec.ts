import { ISO_4217_CURRENCIES } from '@closeout/contracts';
import { ISO_3166_ALPHA2 } from './iso-codes';

describe('ISO reference data', () => {
  it('holds the 249 assigned ISO 3166-1 alpha-2 codes, each a region the runtime can name', () => {
    expect(ISO_3166_ALPHA2.size).toBe(249);
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    // ICU echoes the code back for regions it does not know.
    expect([...ISO_3166_ALPHA2].filter((code) => names.of(code) === code)).toEqual([]);
  });

  it('takes its currencies from the one ISO 4217 table (VED and XCG in, funds codes out)', () => {
    for (const code of ['EUR', 'VED', 'XCG']) expect(ISO_4217_CURRENCIES.has(code)).toBe(true);
    for (const code of ['CLF', 'UYI', 'UYW', 'XAU']) expect(ISO_4217_CURRENCIES.has(code)).toBe(false);
  });
});

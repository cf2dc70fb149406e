import { ISO_3166_ALPHA2, ISO_4217_CURRENCIES } from './iso-codes';

describe('ISO reference data', () => {
  it('holds the 249 assigned ISO 3166-1 alpha-2 codes, each a region the runtime can name', () => {
    expect(ISO_3166_ALPHA2.size).toBe(249);
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    // ICU echoes the code back for regions it does not know.
    expect([...ISO_3166_ALPHA2].filter((code) => names.of(code) === code)).toEqual([]);
  });

  it('holds circulating ISO 4217 currencies only, each one the runtime can name', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'currency' });
    expect([...ISO_4217_CURRENCIES].filter((code) => names.of(code) === code)).toEqual([]);
    for (const code of ['EUR', 'GBP', 'USD', 'JPY', 'CHF', 'INR'])
      expect(ISO_4217_CURRENCIES.has(code)).toBe(true);
    for (const code of ['XAU', 'XTS', 'XXX', 'HRK', 'BOV']) expect(ISO_4217_CURRENCIES.has(code)).toBe(false);
  });
});

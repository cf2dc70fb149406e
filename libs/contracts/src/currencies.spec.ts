import { ISO_4217_CURRENCIES, ISO_4217_MINOR_UNITS } from './currencies';

describe('the ISO 4217 table', () => {
  it('holds circulating currencies only, each one the runtime can name', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'currency' });
    expect([...ISO_4217_CURRENCIES].filter((code) => names.of(code) === code)).toEqual([]);
    expect(ISO_4217_CURRENCIES.size).toBe(157);
    for (const code of ['EUR', 'GBP', 'USD', 'JPY', 'CHF', 'INR'])
      expect(ISO_4217_CURRENCIES.has(code)).toBe(true);
  });

  it('accepts the currencies of amendment 179: VED (Venezuela, digital bolívar) and XCG (Caribbean guilder)', () => {
    expect(ISO_4217_MINOR_UNITS.get('VED')).toBe(2);
    expect(ISO_4217_MINOR_UNITS.get('XCG')).toBe(2);
  });

  it('leaves out funds codes and units of account (CLF, UYI, UYW…): no customer pays in them', () => {
    for (const code of ['CLF', 'UYI', 'UYW', 'BOV', 'CHE', 'CHW', 'COU', 'MXV', 'USN'])
      expect(ISO_4217_CURRENCIES.has(code)).toBe(false);
  });

  it('leaves out metals, the test code, XXX, XDR and withdrawn currencies', () => {
    for (const code of ['XAU', 'XAG', 'XTS', 'XXX', 'XDR', 'HRK', 'SLL', 'VEF'])
      expect(ISO_4217_CURRENCIES.has(code)).toBe(false);
  });

  it('gives the zero- and three-decimal currencies their ISO 4217 exponent, every other one 2', () => {
    expect(
      Object.fromEntries(
        ['JPY', 'KRW', 'CLP', 'BHD', 'KWD', 'TND', 'GBP', 'EUR'].map((c) => [c, ISO_4217_MINOR_UNITS.get(c)]),
      ),
    ).toEqual({ JPY: 0, KRW: 0, CLP: 0, BHD: 3, KWD: 3, TND: 3, GBP: 2, EUR: 2 });
  });
});

import { decimalToMinorUnits } from './money';

describe('decimal amounts to minor units', () => {
  it.each([
    ['45.99', 'GBP', 4599],
    ['1000', 'JPY', 1000],
    ['1.234', 'BHD', 1234],
    ['0.01', 'EUR', 1],
    ['45.9', 'GBP', 4590],
    ['45.990', 'GBP', 4599],
    ['0', 'USD', 0],
    ['9999999999999.99', 'USD', 999999999999999],
  ])('"%s" %s is %d minor units, exactly', (value, currency, minor) => {
    expect(decimalToMinorUnits(value, currency)).toEqual({ ok: true, amountMinor: minor });
  });

  it('refuses digits beyond the currency exponent instead of rounding', () => {
    expect(decimalToMinorUnits('45.999', 'GBP')).toEqual({
      ok: false,
      field: 'value',
      rule: 'GBP has 2 decimal places: the amount cannot be expressed in minor units without rounding',
    });
    expect(decimalToMinorUnits('1000.5', 'JPY')).toMatchObject({
      ok: false,
      field: 'value',
      rule: /JPY has 0 decimal places/,
    });
  });

  it.each(['-1.00', '1e3', '4,599', '.5', '01.00', ' 45.99', '45.'])(
    'refuses "%s" as not a plain decimal',
    (value) => {
      expect(decimalToMinorUnits(value, 'GBP')).toMatchObject({
        ok: false,
        field: 'value',
        rule: /non-negative decimal string/,
      });
    },
  );

  it('refuses a currency it does not know, and an amount too large to carry exactly', () => {
    expect(decimalToMinorUnits('1.00', 'XYZ')).toMatchObject({ ok: false, field: 'currency' });
    expect(decimalToMinorUnits('90071992547409.92', 'USD')).toMatchObject({
      ok: false,
      field: 'value',
      rule: /larger than/,
    });
  });

  it('knows the currencies the writeback contract accepts, from the same table: VED and XCG yes, funds codes no', () => {
    expect(decimalToMinorUnits('10.50', 'VED')).toEqual({ ok: true, amountMinor: 1050 });
    expect(decimalToMinorUnits('10.50', 'XCG')).toEqual({ ok: true, amountMinor: 1050 });
    for (const fundsCode of ['CLF', 'UYI', 'UYW'])
      expect(decimalToMinorUnits('1', fundsCode)).toMatchObject({ ok: false, field: 'currency' });
  });
});

import { ISO_4217_MINOR_UNITS } from '@closeout/contracts';
import { MAX_AMOUNT_MINOR } from './field-rules';

/**
 * Decimal amounts to integer minor units, exactly. No decimal library (decimal.js, big.js, bignumber.js) is
 * installed in this workspace, and the conversion needs only a scale by a power of ten, so it is done on the
 * digit string with BigInt: nothing passes through a float.
 */

/** Decimal places of an ISO 4217 currency (the platform's one table), or undefined for a code not in it. */
export function currencyExponent(currency: string): number | undefined {
  return ISO_4217_MINOR_UNITS.get(currency);
}

export type MinorUnitsResult =
  { ok: true; amountMinor: number } | { ok: false; field: 'value' | 'currency'; rule: string };

const MAX_DECIMAL_LENGTH = 32;
const DECIMAL = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

/**
 * "45.99" GBP → 4599, "1000" JPY → 1000, "1.234" BHD → 1234. Refuses more decimal places than the currency
 * has (unless the extra digits are zeros, which lose nothing), signs, exponents and amounts too large to be
 * carried exactly (MAX_AMOUNT_MINOR). Rules name the currency, never the value.
 */
export function decimalToMinorUnits(value: string, currency: string): MinorUnitsResult {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) {
    return {
      ok: false,
      field: 'currency',
      rule: 'must be an ISO 4217 currency this service knows',
    };
  }
  const match = value.length <= MAX_DECIMAL_LENGTH ? DECIMAL.exec(value) : null;
  if (!match) {
    return {
      ok: false,
      field: 'value',
      rule: `must be a non-negative decimal string such as "45.99" (at most ${MAX_DECIMAL_LENGTH} characters: digits, at most one '.')`,
    };
  }
  const [, whole = '0', fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) {
    return {
      ok: false,
      field: 'value',
      rule: `${currency} has ${exponent} decimal place${exponent === 1 ? '' : 's'}: the amount cannot be expressed in minor units without rounding`,
    };
  }
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(significant.padEnd(exponent, '0') || '0');
  if (minor > BigInt(MAX_AMOUNT_MINOR)) {
    return {
      ok: false,
      field: 'value',
      rule: `must be at most ${MAX_AMOUNT_MINOR} minor units`,
    };
  }
  return { ok: true, amountMinor: Number(minor) };
}

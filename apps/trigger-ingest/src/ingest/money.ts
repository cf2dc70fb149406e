import { MAX_AMOUNT_MINOR } from './field-rules';

/**
 * Decimal amounts to integer minor units, exactly. No decimal library (decimal.js, big.js, bignumber.js) is
 * installed in this workspace, and the conversion needs only a scale by a power of ten, so it is done on the
 * digit string with BigInt: nothing passes through a float.
 */

/** ISO 4217 minor-unit exponents that are not 2. */
const EXPONENT_EXCEPTIONS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Active ISO 4217 currencies with two decimal places. */
const TWO_DECIMALS =
  `AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD
  CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR
  ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
  NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
  SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG`.split(/\s+/);

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...TWO_DECIMALS.map((c) => [c, 2] as const),
  ...Object.entries(EXPONENT_EXCEPTIONS),
]);

/** Decimal places of an ISO 4217 currency, or undefined for a code this service does not know. */
export function currencyExponent(currency: string): number | undefined {
  return EXPONENTS.get(currency);
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

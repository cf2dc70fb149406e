/**
 * The one ISO 4217 table of the platform: the currencies a customer can pay in, with each one's minor-unit exponent
 * (decimal places). trigger-ingest converts decimal amounts with it; the writeback contract accepts a currency only
 * if it is here. Update it when ISO publishes an amendment (currencies.spec.ts cross-checks it against the runtime's
 * ICU).
 *
 * Circulating currencies only (amendment 179, 2025: VED and XCG included). Left out because no one pays in them:
 * funds codes and units of account (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals (XAU, XAG, XPD,
 * XPT), bond-market units (XBA…XBD), XDR, XSU, XUA, the test code XTS and XXX.
 */

/** Exponents that are not 2. */
const NOT_TWO_DECIMALS: Readonly<Record<string, number>> = {
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
};

/** Circulating currencies with two decimal places. */
const TWO_DECIMALS = (
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP ' +
  'CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR ' +
  'JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN ' +
  'NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP ' +
  'SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG'
).split(' ');

/** ISO 4217 code → minor-unit exponent, for every circulating currency. */
export const ISO_4217_MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...TWO_DECIMALS.map((code) => [code, 2] as const),
  ...Object.entries(NOT_TWO_DECIMALS),
]);

/** The codes of ISO_4217_MINOR_UNITS. */
export const ISO_4217_CURRENCIES: ReadonlySet<string> = new Set(ISO_4217_MINOR_UNITS.keys());

/**
 * Known facts (date of birth, postcode): what a customer can be asked to confirm in the mini-app. They are personal
 * data and low in entropy, so they leave the system of record's trigger only as salted, deliberately slow hashes
 * (scrypt, a random salt per fact): trigger-ingest hashes them, the mini-app compares a customer's answer against the
 * hash in constant time. Both sides normalise the same way, here, so "sw1a 1aa" matches "SW1A1AA".
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

export const KNOWN_FACT_NAMES = ['dateOfBirth', 'postalCode'] as const;
export type KnownFactName = (typeof KNOWN_FACT_NAMES)[number];

/** Cost parameters are recorded with each hash so they can be raised later without breaking older hashes. */
export const KNOWN_FACT_ALGORITHM = 'scrypt:N=16384,r=8,p=1,len=32';

export interface HashedKnownFact {
  name: KnownFactName;
  algorithm: string;
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
}

export class KnownFactFormatError extends Error {
  constructor(
    readonly field: KnownFactName,
    readonly rule: string,
  ) {
    super(`${field} ${rule}`);
    this.name = 'KnownFactFormatError';
  }
}

const DOB_RULE = 'must be a date of birth as YYYY-MM-DD (or DD/MM/YYYY), between 1900 and today';
const POSTAL_RULE = 'must be 3–10 letters and digits (spaces and a hyphen allowed)';

/**
 * The canonical form of a fact, or a KnownFactFormatError naming the field and the rule. Dates: ISO `YYYY-MM-DD`
 * (`DD/MM/YYYY` and `DD-MM-YYYY` accepted and converted); postcodes: upper case without spaces or hyphens.
 */
export function normalizeKnownFact(name: KnownFactName, raw: string, today = new Date()): string {
  const value = String(raw ?? '').trim();
  switch (name) {
    case 'dateOfBirth': {
      if (value.length > 10) throw new KnownFactFormatError(name, DOB_RULE);
      let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      let [y, mo, d] = m ? [m[1], m[2], m[3]] : ['', '', ''];
      if (!m) {
        m = /^(\d{2})[/-](\d{2})[/-](\d{4})$/.exec(value);
        if (!m) throw new KnownFactFormatError(name, DOB_RULE);
        [d, mo, y] = [m[1], m[2], m[3]];
      }
      const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
      const iso = `${y}-${mo}-${d}`;
      if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso)
        throw new KnownFactFormatError(name, DOB_RULE);
      if (Number(y) < 1900 || date.getTime() > today.getTime()) throw new KnownFactFormatError(name, DOB_RULE);
      return iso;
    }
    case 'postalCode': {
      if (value.length > 12 || !/^[A-Za-z0-9][A-Za-z0-9 -]{1,10}[A-Za-z0-9]$/.test(value))
        throw new KnownFactFormatError(name, POSTAL_RULE);
      return value.replace(/[\s-]/g, '').toUpperCase();
    }
    default: {
      const never: never = name;
      throw new Error(`unknown known fact ${String(never)}`);
    }
  }
}

interface ScryptCost {
  N: number;
  r: number;
  p: number;
  len: number;
}

function costOf(algorithm: string): ScryptCost {
  const m = /^scrypt:N=(\d+),r=(\d+),p=(\d+),len=(\d+)$/.exec(algorithm);
  if (!m) throw new Error(`unsupported known-fact algorithm ${algorithm}`);
  const [N, r, p, len] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (N > 1 << 20 || r > 32 || p > 16 || len < 16 || len > 64) throw new Error(`known-fact cost out of bounds: ${algorithm}`);
  return { N, r, p, len };
}

function scrypt(value: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(
      `${value}`,
      salt,
      cost.len,
      { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/** Hashes a raw fact (normalised first) with a fresh 16-byte salt. */
export async function hashKnownFact(
  name: KnownFactName,
  raw: string,
  random: (size: number) => Buffer = randomBytes,
): Promise<HashedKnownFact> {
  const salt = random(16);
  const key = await scrypt(`${name}:${normalizeKnownFact(name, raw)}`, salt, costOf(KNOWN_FACT_ALGORITHM));
  return { name, algorithm: KNOWN_FACT_ALGORITHM, salt: salt.toString('base64'), hash: key.toString('base64') };
}

/**
 * Whether a customer's answer matches the stored hash, compared in constant time. An answer that is not in the
 * fact's format throws KnownFactFormatError (the page names the field and the rule; it is not a wrong try).
 */
export async function verifyKnownFact(stored: HashedKnownFact, answer: string): Promise<boolean> {
  const normalized = normalizeKnownFact(stored.name, answer);
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await scrypt(`${stored.name}:${normalized}`, Buffer.from(stored.salt, 'base64'), costOf(stored.algorithm));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

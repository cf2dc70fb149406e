import { z } from 'zod';
import {
  hashKnownFact,
  KNOWN_FACT_NAMES,
  KnownFactFormatError,
  normalizeKnownFact,
  type HashedKnownFact,
  type KnownFactName,
} from '@closeout/privacy';

/**
 * `customer.knownFacts`: what the system of record knows that the customer can be asked to confirm in the mini-app
 * (date of birth, postcode). The raw values live only in memory between validation and hashing: they go to
 * customer.facts.v1 as salted scrypt hashes (`hashKnownFact`, @closeout/privacy) and nowhere else — not into
 * case.triggered.v1, the source event row, its digests, the audit trail or a log. A rule never quotes the value.
 */

/** Longer than any date or postcode the privacy lib accepts: a bound before the format rule runs. */
const MAX_FACT_LENGTH = 32;

const factSchema = (name: KnownFactName) =>
  z.string(`must be a string`).superRefine((raw, ctx) => {
    if (raw.length > MAX_FACT_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_FACT_LENGTH} characters` });
      return;
    }
    try {
      normalizeKnownFact(name, raw);
    } catch (error) {
      if (!(error instanceof KnownFactFormatError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.rule });
    }
  });

export const knownFactsSchema = z
  .strictObject(
    {
      dateOfBirth: factSchema('dateOfBirth').optional(),
      postalCode: factSchema('postalCode').optional(),
    },
    'must be an object with dateOfBirth or postalCode',
  )
  .refine(
    (facts) => KNOWN_FACT_NAMES.some((name) => facts[name] !== undefined),
    'must state at least one of dateOfBirth or postalCode',
  );

/** A validated block of raw known facts: held in memory only, until hashed. */
export type KnownFacts = z.infer<typeof knownFactsSchema>;

/** Which facts a block states, by name (never their values): what the audit trail may say. */
export function knownFactNames(facts: KnownFacts): KnownFactName[] {
  return KNOWN_FACT_NAMES.filter((name) => facts[name] !== undefined);
}

/**
 * Each stated fact hashed with a fresh salt, in KNOWN_FACT_NAMES order. scrypt runs on libuv's thread pool, so the
 * event loop keeps serving while a trigger's facts are hashed.
 */
export async function hashKnownFacts(facts: KnownFacts): Promise<HashedKnownFact[]> {
  return Promise.all(knownFactNames(facts).map((name) => hashKnownFact(name, facts[name]!)));
}

/**
 * The event as received, without its known facts: what the payload digest (`payloadRef`) is taken over. A digest of a
 * date of birth and the rest of an event that case.triggered.v1 publishes could be guessed back in a few thousand
 * tries, so the facts stay out of it. Events without known facts digest exactly as before.
 */
export function withoutKnownFacts(input: unknown): unknown {
  if (!isRecord(input) || !isRecord(input['customer']) || !('knownFacts' in input['customer'])) return input;
  const { knownFacts: _dropped, ...customer } = input['customer'];
  return { ...input, customer };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

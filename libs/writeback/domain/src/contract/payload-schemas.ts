import { z } from 'zod';
import { ISO_4217_CURRENCIES } from '@closeout/contracts';
import { ISO_3166_ALPHA2 } from './iso-codes';
import type { WritebackOperation } from './operations';
import { rule } from './schema-rules';

/** Canonical contract v1: one schema per operation. Money is integer minor units, never a float. */

function text(max: number, what = `a string of 1–${max} characters`): z.ZodString {
  const r = rule(`must be ${what}`);
  return z.string(r).min(1, r).max(max, r);
}

/** An identifier in the system of record (account, customer): no whitespace, so copy-paste slips are caught. */
function identifier(): z.ZodString {
  const r = rule('must be 1–64 characters without whitespace');
  return z.string(r).regex(/^\S{1,64}$/, r);
}

function integer(min: number, max: number, what: string): z.ZodNumber {
  const r = rule(`must be ${what}`);
  return z.number(r).int(r).min(min, r).max(max, r);
}

const AMOUNT_RULE = 'must be an integer ≥ 1';
/**
 * Integer minor units ≥ 1. Checked with Number.isInteger rather than zod's int (whose safe-integer bound would
 * report `must be an integer ≥ 1` for 2^53): beyond 2^53 − 1 a JSON number can no longer be held exactly.
 */
const amountMinor = z
  .number(rule(AMOUNT_RULE))
  .refine((n) => Number.isInteger(n) && n >= 1, rule(AMOUNT_RULE))
  .refine((n) => n <= Number.MAX_SAFE_INTEGER, rule(`must be at most ${Number.MAX_SAFE_INTEGER}`));

const CURRENCY_RULE = 'must be an ISO 4217 currency code (3 upper-case letters, e.g. EUR)';
const currency = z.string(rule(CURRENCY_RULE)).refine((c) => ISO_4217_CURRENCIES.has(c), rule(CURRENCY_RULE));

const money = z.strictObject({ amountMinor, currency }, rule('must be an object {amountMinor, currency}'));

const COUNTRY_RULE = 'must be an ISO 3166-1 alpha-2 country code (2 upper-case letters, e.g. GB)';
const country = z.string(rule(COUNTRY_RULE)).refine((c) => ISO_3166_ALPHA2.has(c), rule(COUNTRY_RULE));

/**
 * 13–19 digits, optionally separated by spaces or dashes, not part of a longer digit run: the shape of a primary
 * account number. Card numbers never touch Closeout (the mini-app tokenises through the processor), so a token
 * field that holds one is a leak to stop here, and the message never echoes the value.
 */
const PAN_LIKE = /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/;
const cardToken = text(128, 'a processor token of 1–128 characters').refine(
  (t) => !PAN_LIKE.test(t),
  rule('must be a processor token, not a card number: it contains 13–19 digits that look like a PAN'),
);

const root = rule('must be a JSON object');

export const paymentPostSchema = z.strictObject(
  {
    accountId: identifier(),
    amount: money,
    paymentMethodToken: text(128, 'a processor token of 1–128 characters'),
    /** Our reference for the posting, shown on the customer's statement and used in reconciliation. */
    reference: text(64),
  },
  root,
);

export const cardUpdateSchema = z.strictObject(
  {
    accountId: identifier(),
    cardToken,
    expiryMonth: integer(1, 12, 'an integer from 1 to 12'),
    expiryYear: integer(2000, 2099, 'a four-digit year from 2000 to 2099'),
  },
  root,
);

export const DEFAULT_MAX_INSTALLMENTS = 6;

export function arrangementCreateSchema(maxInstallments: number = DEFAULT_MAX_INSTALLMENTS) {
  return z.strictObject(
    {
      accountId: identifier(),
      installments: integer(1, maxInstallments, `an integer from 1 to ${maxInstallments}`),
      firstDueDate: z.iso.date(rule('must be an ISO date (YYYY-MM-DD)')),
      amountPerInstallment: money,
    },
    root,
  );
}

export const addressUpdateSchema = z.strictObject(
  {
    customerId: identifier(),
    line1: text(100),
    line2: text(100).optional(),
    city: text(64),
    postalCode: z
      .string(rule('must be 1–16 letters, digits, spaces or dashes'))
      .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$/, rule('must be 1–16 letters, digits, spaces or dashes')),
    country,
  },
  root,
);

export const documentAttachSchema = z.strictObject(
  {
    customerId: identifier(),
    documentType: z
      .string(rule('must be a lower-case code such as proof_of_address'))
      .regex(/^[a-z][a-z0-9_]{1,47}$/, rule('must be a lower-case code such as proof_of_address')),
    /** Where the mini-app stored the document (object-store key or URI); the document itself never travels here. */
    documentRef: text(256),
    sha256: z
      .string(rule('must be 64 lower-case hex characters (a SHA-256 digest)'))
      .regex(/^[0-9a-f]{64}$/, rule('must be 64 lower-case hex characters (a SHA-256 digest)')),
  },
  root,
);

export const flagClearSchema = z.strictObject(
  {
    accountId: identifier(),
    flag: z
      .string(rule('must be a flag code of 1–64 letters, digits, dots, dashes or underscores'))
      .regex(
        /^[A-Za-z0-9_.-]{1,64}$/,
        rule('must be a flag code of 1–64 letters, digits, dots, dashes or underscores'),
      ),
    reason: text(500),
  },
  root,
);

export interface ContractLimits {
  /** Upper bound on `arrangement.create` installments; a workflow's eligibility rules may lower it. */
  maxInstallments: number;
}

export const DEFAULT_CONTRACT_LIMITS: Readonly<ContractLimits> = Object.freeze({
  maxInstallments: DEFAULT_MAX_INSTALLMENTS,
});

export function canonicalPayloadSchemas(limits: ContractLimits = DEFAULT_CONTRACT_LIMITS) {
  return {
    'payment.post': paymentPostSchema,
    'card.update': cardUpdateSchema,
    'arrangement.create': arrangementCreateSchema(limits.maxInstallments),
    'address.update': addressUpdateSchema,
    'document.attach': documentAttachSchema,
    'flag.clear': flagClearSchema,
  } as const satisfies Record<WritebackOperation, z.ZodType>;
}

type Schemas = ReturnType<typeof canonicalPayloadSchemas>;

/** The typed canonical payload of each operation. */
export type CanonicalPayloads = { [Op in WritebackOperation]: z.infer<Schemas[Op]> };
export type CanonicalPayload<Op extends WritebackOperation = WritebackOperation> = CanonicalPayloads[Op];
export type Money = z.infer<typeof money>;

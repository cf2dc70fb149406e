/**
 * TEST DOUBLE — part of the simulated REST core banking system (tools/simulators/rest-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * The core's own request validation, per API version. Written independently of Closeout's mappings on purpose: a
 * mapping bug must be caught by the destination, as it would be by a real bank, not agreed with by a shared schema.
 */
import { z } from 'zod';

export const API_VERSION_2024_06_01 = '2024-06-01';
/** Reshaped payments (nested account and payment method, renamed money fields); other resources unchanged. */
export const API_VERSION_2025_01_15 = '2025-01-15';
export const DEFAULT_ACCEPTED_API_VERSIONS = [API_VERSION_2024_06_01, API_VERSION_2025_01_15] as const;

export const RESOURCES = {
  payments: { operation: 'payment.post', refPrefix: 'pay' },
  cards: { operation: 'card.update', refPrefix: 'card' },
  arrangements: { operation: 'arrangement.create', refPrefix: 'arr' },
  addresses: { operation: 'address.update', refPrefix: 'addr' },
  documents: { operation: 'document.attach', refPrefix: 'doc' },
  flags: { operation: 'flag.clear', refPrefix: 'flag' },
} as const;

export type Resource = keyof typeof RESOURCES;

export function isResource(value: string): value is Resource {
  return Object.hasOwn(RESOURCES, value);
}

const str = (max: number) => z.string().min(1).max(max);
const accountNumber = z.string().regex(/^\S{1,64}$/, 'must be 1–64 characters without whitespace');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code');
const positiveMinor = z.int('must be an integer number of minor units').min(1, 'must be at least 1');
const moneyV1 = z.strictObject({ value_minor: positiveMinor, currency });

const paymentsV1 = z.strictObject({
  account_number: accountNumber,
  amount: moneyV1,
  payment_token: str(128),
  external_reference: str(64),
});

const paymentsV2 = z.strictObject({
  account: z.strictObject({ number: accountNumber }),
  amount: z.strictObject({ minor_units: positiveMinor, currency_code: currency }),
  payment_method: z.strictObject({ type: z.literal('token'), token: str(128) }),
  external_reference: str(64),
});

const cards = z.strictObject({
  account_number: accountNumber,
  card_token: str(128).refine(
    (t) => !/\d{13,19}/.test(t.replace(/[ -]/g, '')),
    'must be a token, not a card number',
  ),
  expiry: z.string().regex(/^20\d{2}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
});

const arrangements = z.strictObject({
  account_number: accountNumber,
  plan: z.strictObject({
    installment_count: z.int().min(1).max(24),
    first_due_date: z.iso.date('must be a date YYYY-MM-DD'),
    installment_amount: moneyV1,
  }),
});

const addresses = z.strictObject({
  customer_number: accountNumber,
  address: z.strictObject({
    line_1: str(100),
    line_2: str(100).optional(),
    city: str(64),
    postal_code: str(16),
    country_code: z.string().regex(/^[A-Z]{2}$/, 'must be a 2-letter ISO 3166 code'),
  }),
});

const documents = z.strictObject({
  customer_number: accountNumber,
  document_type: str(48),
  document_reference: str(256),
  checksum: z.strictObject({
    algorithm: z.literal('SHA-256'),
    value: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters'),
  }),
});

const flags = z.strictObject({
  account_number: accountNumber,
  flag_code: str(64),
  action: z.literal('clear'),
  reason_text: str(500),
});

const BY_VERSION: Record<string, Record<Resource, z.ZodType>> = {
  [API_VERSION_2024_06_01]: { payments: paymentsV1, cards, arrangements, addresses, documents, flags },
  [API_VERSION_2025_01_15]: { payments: paymentsV2, cards, arrangements, addresses, documents, flags },
};

export interface FieldError {
  field: string;
  rule: string;
}

/** Validates a write body for `resource` under `apiVersion`; returns the field errors (empty when valid). */
export function validateWrite(resource: Resource, apiVersion: string, body: unknown): FieldError[] {
  const schema = BY_VERSION[apiVersion]?.[resource] ?? BY_VERSION[API_VERSION_2024_06_01]![resource];
  const result = schema.safeParse(body, {
    // Lower precedence than the messages in the schemas above: only zod's generic wording is replaced.
    error: (issue) =>
      issue.code === 'invalid_type'
        ? issue.input === undefined
          ? 'is required'
          : `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`
        : undefined,
  });
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: [...issue.path, key].join('.'),
          rule: 'is not a recognised field',
        }))
      : [{ field: issue.path.join('.') || '(body)', rule: issue.message }],
  );
}

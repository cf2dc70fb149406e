/**
 * TEST DOUBLE — part of the simulated SOAP core banking system (tools/simulators/soap-core), which stands in for
 * a bank's system of record in tests and demos. Not production code.
 *
 * The core's view of its own contract (CoreBankingService-2019.2): namespace, operations, vendor codes, and the
 * field rules it enforces with CB-1001. node-soap converts xsd:int to numbers but leaves other types as text.
 */
import { z } from 'zod';

export const CORE_BANKING_NAMESPACE = 'urn:closeout:sim:corebanking:2019-2';
export const CORE_BANKING_WSDL_VERSION = 'CoreBankingService-2019.2';
export const CORE_BANKING_SERVICE = 'CoreBankingService';
export const SOAP11_PORT = 'CoreBankingSoap11Port';
export const SOAP12_PORT = 'CoreBankingSoap12Port';

export const VENDOR_CODES = {
  invalidRequest: 'CB-1001',
  accountClosed: 'CB-1002',
  idempotencyConflict: 'CB-4090',
  throttled: 'CB-4290',
  hostUnavailable: 'CB-5003',
  statusUnknown: 'CB-9001',
} as const;

export type VendorCode = (typeof VENDOR_CODES)[keyof typeof VENDOR_CODES];

const text = (rule = 'must be a non-empty string') => z.string({ error: rule }).trim().min(1, rule);
const int = (min: number) =>
  z.coerce
    .number({ error: `must be an integer ≥ ${min}` })
    .int(`must be an integer ≥ ${min}`)
    .min(min, `must be an integer ≥ ${min}`);
const money = z.object(
  {
    MinorUnits: int(1),
    CurrencyCode: z
      .string({ error: 'must be 3 upper-case letters' })
      .regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters'),
  },
  { error: 'is required' },
);

export const WRITE_OPERATIONS = ['PostPayment', 'CreateArrangement', 'UpdateAddress', 'ClearFlag'] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];

/** Reads: nothing posted, no IdempotencyKey needed. */
export const REPORT_OPERATIONS = ['QueryTransaction', 'ListTransactions'] as const;
export type ReportOperation = (typeof REPORT_OPERATIONS)[number];

const writeSchemas: Record<WriteOperation, z.ZodType> = {
  PostPayment: z.object({
    AccountNumber: text(),
    Amount: money,
    PaymentToken: text(),
    ExternalReference: text(),
  }),
  CreateArrangement: z.object({
    AccountNumber: text(),
    InstallmentCount: int(1),
    FirstDueDate: z
      .string({ error: 'must be a date YYYY-MM-DD' })
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
      .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'must be a date YYYY-MM-DD'),
    InstallmentAmount: money,
  }),
  UpdateAddress: z.object({
    CustomerNumber: text(),
    Line1: text(),
    Line2: z.string().optional(),
    City: text(),
    PostalCode: text(),
    CountryCode: z
      .string({ error: 'must be 2 upper-case letters' })
      .regex(/^[A-Z]{2}$/, 'must be 2 upper-case letters'),
  }),
  ClearFlag: z.object({ AccountNumber: text(), FlagCode: text(), Reason: text() }),
};

export interface FieldProblem {
  field: string;
  rule: string;
}

/** The field rules a write breaks, as `Amount.MinorUnits: must be an integer ≥ 1`; empty when it is valid. */
export function validateWrite(operation: WriteOperation, body: unknown): FieldProblem[] {
  const parsed = writeSchemas[operation].safeParse(body ?? {});
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => ({ field: i.path.join('.') || operation, rule: i.message }));
}

/** The account a write is about, for the closed-account check (UpdateAddress is about a customer). */
export function accountOf(body: unknown): string | undefined {
  const account =
    body !== null && typeof body === 'object'
      ? (body as Record<string, unknown>)['AccountNumber']
      : undefined;
  return typeof account === 'string' ? account : undefined;
}

export function isWriteOperation(name: string): name is WriteOperation {
  return (WRITE_OPERATIONS as readonly string[]).includes(name);
}

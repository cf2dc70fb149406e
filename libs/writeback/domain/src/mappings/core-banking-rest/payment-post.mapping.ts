import { defineMapping } from '../mapping';
import {
  accountNumber,
  CORE_BANKING_API_V2024_06_01,
  CORE_BANKING_API_V2025_01_15,
  CORE_BANKING_REST,
  currencyCode,
  moneyV1,
  nonEmptyString,
  object,
} from './wire-schema-parts';

export const paymentPostV1 = defineMapping({
  destination: CORE_BANKING_REST,
  operation: 'payment.post',
  version: '1',
  kind: 'json',
  target: 'POST /api/payments',
  wireVersion: CORE_BANKING_API_V2024_06_01,
  wireSchema: object({
    account_number: accountNumber,
    amount: moneyV1,
    payment_token: nonEmptyString(128),
    external_reference: nonEmptyString(64),
  }),
  toWire: (p) => ({
    account_number: p.accountId,
    amount: { value_minor: p.amount.amountMinor, currency: p.amount.currency },
    payment_token: p.paymentMethodToken,
    external_reference: p.reference,
  }),
});

/**
 * v2 follows the core's 2025-01-15 API: the account and payment method became nested objects and the money
 * fields were renamed (`minor_units`, `currency_code`). v1 stays as it was for workflows pinned to it.
 */
export const paymentPostV2 = defineMapping({
  destination: CORE_BANKING_REST,
  operation: 'payment.post',
  version: '2',
  kind: 'json',
  target: 'POST /api/payments',
  wireVersion: CORE_BANKING_API_V2025_01_15,
  wireSchema: object({
    account: object({ number: accountNumber }),
    amount: object({ minor_units: { type: 'integer', minimum: 1 }, currency_code: currencyCode }),
    payment_method: object({ type: { const: 'token' }, token: nonEmptyString(128) }),
    external_reference: nonEmptyString(64),
  }),
  toWire: (p) => ({
    account: { number: p.accountId },
    amount: { minor_units: p.amount.amountMinor, currency_code: p.amount.currency },
    payment_method: { type: 'token', token: p.paymentMethodToken },
    external_reference: p.reference,
  }),
});

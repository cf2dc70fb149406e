import { defineMapping } from '../mapping';
import {
  accountNumber,
  CORE_BANKING_API_V2024_06_01,
  CORE_BANKING_REST,
  moneyV1,
  object,
} from './wire-schema-parts';

export const arrangementCreateV1 = defineMapping({
  destination: CORE_BANKING_REST,
  operation: 'arrangement.create',
  version: '1',
  kind: 'json',
  target: 'POST /api/arrangements',
  wireVersion: CORE_BANKING_API_V2024_06_01,
  wireSchema: object({
    account_number: accountNumber,
    plan: object({
      installment_count: { type: 'integer', minimum: 1 },
      first_due_date: { type: 'string', format: 'date' },
      installment_amount: moneyV1,
    }),
  }),
  toWire: (p) => ({
    account_number: p.accountId,
    plan: {
      installment_count: p.installments,
      first_due_date: p.firstDueDate,
      installment_amount: {
        value_minor: p.amountPerInstallment.amountMinor,
        currency: p.amountPerInstallment.currency,
      },
    },
  }),
});

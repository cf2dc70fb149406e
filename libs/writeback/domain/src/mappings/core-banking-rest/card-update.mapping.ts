import { defineMapping } from '../mapping';
import {
  accountNumber,
  CORE_BANKING_API_V2024_06_01,
  CORE_BANKING_REST,
  nonEmptyString,
  object,
} from './wire-schema-parts';

export const cardUpdateV1 = defineMapping({
  destination: CORE_BANKING_REST,
  operation: 'card.update',
  version: '1',
  kind: 'json',
  target: 'POST /api/cards',
  wireVersion: CORE_BANKING_API_V2024_06_01,
  wireSchema: object({
    account_number: accountNumber,
    card_token: nonEmptyString(128),
    // The core takes the expiry as one `YYYY-MM` field.
    expiry: { type: 'string', pattern: '^20\\d{2}-(0[1-9]|1[0-2])$' },
  }),
  toWire: (p) => ({
    account_number: p.accountId,
    card_token: p.cardToken,
    expiry: `${p.expiryYear}-${String(p.expiryMonth).padStart(2, '0')}`,
  }),
});

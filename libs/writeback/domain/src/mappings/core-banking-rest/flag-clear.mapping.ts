import { defineMapping } from '../mapping';
import {
  accountNumber,
  CORE_BANKING_API_V2024_06_01,
  CORE_BANKING_REST,
  nonEmptyString,
  object,
} from './wire-schema-parts';

export const flagClearV1 = defineMapping({
  destination: CORE_BANKING_REST,
  operation: 'flag.clear',
  version: '1',
  kind: 'json',
  target: 'POST /api/flags',
  wireVersion: CORE_BANKING_API_V2024_06_01,
  wireSchema: object({
    account_number: accountNumber,
    flag_code: nonEmptyString(64),
    action: { const: 'clear' },
    reason_text: nonEmptyString(500),
  }),
  toWire: (p) => ({ account_number: p.accountId, flag_code: p.flag, action: 'clear', reason_text: p.reason }),
});

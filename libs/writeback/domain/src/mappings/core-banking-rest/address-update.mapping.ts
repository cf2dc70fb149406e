import { defineMapping } from '../mapping';
import { CORE_BANKING_API_V2024_06_01, CORE_BANKING_REST, nonEmptyString, object } from './wire-schema-parts';

export const addressUpdateV1 = defineMapping({
  destination: CORE_BANKING_REST,
  operation: 'address.update',
  version: '1',
  kind: 'json',
  target: 'POST /api/addresses',
  wireVersion: CORE_BANKING_API_V2024_06_01,
  wireSchema: object({
    customer_number: { type: 'string', pattern: '^\\S{1,64}$' },
    address: object(
      {
        line_1: nonEmptyString(100),
        line_2: nonEmptyString(100),
        city: nonEmptyString(64),
        postal_code: nonEmptyString(16),
        country_code: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
      ['line_2'],
    ),
  }),
  toWire: (p) => ({
    customer_number: p.customerId,
    address: {
      line_1: p.line1,
      // The core rejects `line_2: null`; an absent second line is an absent field.
      ...(p.line2 === undefined ? {} : { line_2: p.line2 }),
      city: p.city,
      postal_code: p.postalCode,
      country_code: p.country,
    },
  }),
});

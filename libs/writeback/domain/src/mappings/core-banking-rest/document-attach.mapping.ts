import { defineMapping } from '../mapping';
import { CORE_BANKING_API_V2024_06_01, CORE_BANKING_REST, nonEmptyString, object } from './wire-schema-parts';

export const documentAttachV1 = defineMapping({
  destination: CORE_BANKING_REST,
  operation: 'document.attach',
  version: '1',
  kind: 'json',
  target: 'POST /api/documents',
  wireVersion: CORE_BANKING_API_V2024_06_01,
  wireSchema: object({
    customer_number: { type: 'string', pattern: '^\\S{1,64}$' },
    document_type: nonEmptyString(48),
    document_reference: nonEmptyString(256),
    checksum: object({
      algorithm: { const: 'SHA-256' },
      value: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    }),
  }),
  toWire: (p) => ({
    customer_number: p.customerId,
    document_type: p.documentType,
    document_reference: p.documentRef,
    checksum: { algorithm: 'SHA-256', value: p.sha256 },
  }),
});

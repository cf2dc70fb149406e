import type { AnySchemaObject } from 'ajv';

/** Building blocks of the core-banking-rest wire schemas (its API reference, as JSON Schema). */

export const CORE_BANKING_REST = 'core-banking-rest';
/** The core's API versions our mappings pin, sent as its `Api-Version` header. */
export const CORE_BANKING_API_V2024_06_01 = '2024-06-01';
export const CORE_BANKING_API_V2025_01_15 = '2025-01-15';

export const nonEmptyString = (maxLength: number): AnySchemaObject => ({
  type: 'string',
  minLength: 1,
  maxLength,
});

export const accountNumber: AnySchemaObject = { type: 'string', pattern: '^\\S{1,64}$' };

export const currencyCode: AnySchemaObject = { type: 'string', pattern: '^[A-Z]{3}$' };

/** v1 money: `{ value_minor, currency }`, integer minor units. */
export const moneyV1: AnySchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['value_minor', 'currency'],
  properties: { value_minor: { type: 'integer', minimum: 1 }, currency: currencyCode },
};

export function object(
  properties: Record<string, AnySchemaObject>,
  optional: readonly string[] = [],
): AnySchemaObject {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  };
}

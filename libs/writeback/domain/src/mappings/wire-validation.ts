import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { WireValidationError, type ValidationIssue } from '../errors';
import type { WritebackMapping } from './mapping';

// strict: a typo in a wire schema (an unknown keyword) fails when the mapping is registered, not silently at send.
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv, ['date', 'date-time']);

const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles (once per schema object) and returns the validator; throws if the schema itself is invalid. */
export function compileWireSchema(mapping: Pick<WritebackMapping, 'wireSchema'>): ValidateFunction {
  let validate = compiled.get(mapping.wireSchema);
  if (!validate) {
    validate = ajv.compile(mapping.wireSchema);
    compiled.set(mapping.wireSchema, validate);
  }
  return validate;
}

function toIssue(error: ErrorObject): ValidationIssue {
  const path = `wire${error.instancePath.replace(/\/([^/]*)/g, (_, segment: string) =>
    /^\d+$/.test(segment) ? `[${segment}]` : `.${segment.replace(/~1/g, '/').replace(/~0/g, '~')}`,
  )}`;
  switch (error.keyword) {
    case 'required':
      return { path: `${path}.${String(error.params['missingProperty'])}`, rule: 'is required' };
    case 'additionalProperties':
      return {
        path: `${path}.${String(error.params['additionalProperty'])}`,
        rule: 'is not a field of the wire schema',
      };
    default:
      return { path, rule: error.message ?? error.keyword };
  }
}

/**
 * Checks a wire body against its mapping's schema before sending; throws `WireValidationError` (never retried,
 * nothing sent) naming each offending field. A failure here is our mapping's bug, caught before the destination sees it.
 */
export function validateWire(mapping: Pick<WritebackMapping, 'wireSchema'>, wire: unknown): void {
  const validate = compileWireSchema(mapping);
  if (!validate(wire)) throw new WireValidationError((validate.errors ?? []).map(toIssue));
}

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) for the JSON an audit record holds.
 *
 * Hand-rolled (about twenty lines) rather than taken from the `canonicalize` package: the service may not add a
 * dependency here, and for JSON values JCS is exactly what ECMAScript already does: strings and numbers serialised as
 * `JSON.stringify` serialises them (RFC 8785 §3.2.2 is defined by ECMA-262's Number::toString and JSON string
 * escaping), object members sorted by the UTF-16 code units of their names (§3.2.3, the order of JS's default sort),
 * no whitespace. `canonical-json.spec.ts` checks it against the RFC's own examples.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('a number must be finite');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      throw new CanonicalJsonError(`a ${typeof value} is not JSON`);
    case 'object':
      break;
  }
  if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

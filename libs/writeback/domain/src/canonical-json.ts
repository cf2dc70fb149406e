import { assertUnreachable } from './assert-unreachable';

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, numbers and strings as JSON.stringify
 * writes them. For the JSON values a payload can hold this matches RFC 8785 (JCS), so equal content always
 * serialises to equal bytes whatever the key order it arrived in.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '$');
}

function serialise(value: unknown, path: string): string {
  if (value === null) return 'null';
  const kind = typeof value;
  switch (kind) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => serialise(v, `${path}[${i}]`)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${serialise(v, `${path}.${k}`)}`).join(',')}}`;
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      // Not JSON. JSON.stringify would quietly turn them into null or drop them, letting two different payloads
      // share a fingerprint.
      throw new TypeError(`canonicalJson: ${path} is a ${kind}, which JSON cannot hold`);
    default:
      return assertUnreachable(kind, 'JSON value type');
  }
}

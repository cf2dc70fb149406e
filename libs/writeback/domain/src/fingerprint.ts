import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

export interface FingerprintInput {
  destination: string;
  operation: string;
  /** The parsed canonical payload (not the raw JSON text, whose key order and spacing are not business content). */
  payload: unknown;
}

/**
 * SHA-256 (hex) of the canonical JSON of {destination, operation, payload}. Same business content → same
 * fingerprint regardless of key order; the ledger compares it for a key it already holds to tell a duplicate
 * (same fingerprint) from a conflict (different fingerprint → REJECTED_CONFLICT). Versions are left out on purpose:
 * re-mapping the same business action under a newer mapping version is still the same action.
 */
export function requestFingerprint(input: FingerprintInput): string {
  const document = canonicalJson({
    destination: input.destination,
    operation: input.operation,
    payload: input.payload,
  });
  return createHash('sha256').update(document, 'utf8').digest('hex');
}

import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { WritebackOperation } from './contract/operations';

export interface IdempotencyKeyInput {
  customerId: string;
  workflowId: string;
  operation: WritebackOperation;
  /** Distinguishes repeated business actions of the same kind: a sequence number or a time bucket such as `2024-06`. */
  sequence: number | string;
}

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, unpadded: case-insensitive-safe for SOAP fields and batch-file columns. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The idempotency key of one business action: `wb_` + base32(sha256(canonical {v, customerId, workflowId,
 * operation, sequence})), 55 characters. Deterministic — the same action always gets the same key, so a retry, a
 * redelivery or a replay can never post twice. Hashing a canonical JSON object (not a joined string) means no
 * separator can make two different inputs collide; `v` lets the derivation change without reusing old keys.
 */
export function idempotencyKey(input: IdempotencyKeyInput): string {
  for (const field of ['customerId', 'workflowId', 'operation'] as const) {
    if (typeof input[field] !== 'string' || input[field].length === 0) {
      throw new TypeError(`idempotencyKey: ${field} must be a non-empty string`);
    }
  }
  const { sequence } = input;
  if (
    typeof sequence === 'number' ? !Number.isSafeInteger(sequence) || sequence < 0 : sequence.length === 0
  ) {
    throw new TypeError('idempotencyKey: sequence must be an integer ≥ 0 or a non-empty string');
  }
  const digest = createHash('sha256')
    .update(
      canonicalJson({
        v: 1,
        customerId: input.customerId,
        workflowId: input.workflowId,
        operation: input.operation,
        sequence,
      }),
      'utf8',
    )
    .digest();
  return `wb_${base32(digest)}`;
}

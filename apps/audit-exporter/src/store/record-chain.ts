import { createHash } from 'node:crypto';

/** The `prev_hash` of the first record: there is no predecessor. */
export const GENESIS_HASH = '0'.repeat(64);

/** A record's `hash`: hex SHA-256 over `prev_hash || '\n' || seq || '\n' || canonical`. */
export function recordHash(prevHash: string, seq: number, canonical: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${canonical}`, 'utf8').digest('hex');
}

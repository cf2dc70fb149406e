/**
 * Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the Avro body.
 * Parsed here (rather than inside the registry client) so a malformed message is classified precisely.
 */
export const MAGIC_BYTE = 0;
export const WIRE_HEADER_LENGTH = 5;

export type WireHeader = { ok: true; schemaId: number; body: Buffer } | { ok: false; reason: string };

export function readWireHeader(bytes: Buffer): WireHeader {
  if (bytes.length < WIRE_HEADER_LENGTH) {
    return { ok: false, reason: `${bytes.length} bytes is shorter than the 5-byte Confluent header` };
  }
  if (bytes[0] !== MAGIC_BYTE) {
    return { ok: false, reason: `magic byte is ${bytes[0]}, expected ${MAGIC_BYTE}` };
  }
  return { ok: true, schemaId: bytes.readInt32BE(1), body: bytes.subarray(WIRE_HEADER_LENGTH) };
}

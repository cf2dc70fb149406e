import type { AnySchemaObject } from 'ajv';
import type { CanonicalPayload, WritebackOperation } from '../contract';

/**
 * How a wire payload travels: a JSON body (REST), a SOAP body (as the object the SOAP client serialises), or a
 * batch-file record (SFTP). The core never looks inside `body`; a protocol adapter does.
 */
export type WireKind = 'json' | 'soap' | 'record';

/**
 * One pinned translation of a canonical payload into one destination's wire format. Adding a version never
 * changes an old one: golden files pin each (see golden/ and golden-payloads.spec.ts).
 */
export interface WritebackMapping<Op extends WritebackOperation = WritebackOperation> {
  readonly destination: string;
  readonly operation: Op;
  /** `WritebackRequested.mappingVersion`. */
  readonly version: string;
  readonly kind: WireKind;
  /**
   * Where on the destination the message goes, in the protocol's own terms: `POST /api/payments` (REST), the
   * SOAP operation name, or the batch record type.
   */
  readonly target: string;
  /**
   * The destination's own interface version this mapping's output conforms to: the pinned `Api-Version` header
   * (REST), the WSDL version (SOAP), the file layout version (SFTP).
   */
  readonly wireVersion: string;
  /** JSON Schema (draft-07, ajv) the wire body is validated against before anything is sent. */
  readonly wireSchema: AnySchemaObject;
  /** Pure: same canonical payload, same wire body. Method syntax on purpose (bivariant), see AnyWritebackMapping. */
  toWire(payload: CanonicalPayload<Op>): unknown;
}

/** A mapping of any one operation; what a registry holds. */
export type AnyWritebackMapping = { [Op in WritebackOperation]: WritebackMapping<Op> }[WritebackOperation];

/** The validated output of a mapping, ready for a protocol adapter. */
export interface WireMessage {
  kind: WireKind;
  target: string;
  wireVersion: string;
  body: unknown;
  mapping: { destination: string; operation: WritebackOperation; version: string };
}

/** Identity helper that infers `Op` from `operation`, so `toWire` gets the typed payload. */
export function defineMapping<Op extends WritebackOperation>(
  mapping: WritebackMapping<Op>,
): WritebackMapping<Op> {
  return Object.freeze(mapping);
}

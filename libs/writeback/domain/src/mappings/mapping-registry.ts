import type { CanonicalPayload, WritebackOperation } from '../contract';
import { MappingNotFoundError } from '../errors';
import type { AnyWritebackMapping, WireMessage, WritebackMapping } from './mapping';
import { compileWireSchema, validateWire } from './wire-validation';

const keyOf = (destination: string, operation: string, version: string): string =>
  `${destination}\u0000${operation}\u0000${version}`;

/**
 * Mappings by (destination, operation, version). Protocol-neutral: SOAP and SFTP mappings register here the same
 * way as REST ones. Registration compiles the wire schema, so a broken schema fails at boot.
 */
export class MappingRegistry {
  private readonly byKey = new Map<string, AnyWritebackMapping>();

  constructor(mappings: Iterable<AnyWritebackMapping> = []) {
    for (const mapping of mappings) this.register(mapping);
  }

  register(mapping: AnyWritebackMapping): this {
    const key = keyOf(mapping.destination, mapping.operation, mapping.version);
    if (this.byKey.has(key)) {
      throw new Error(
        `mapping ${mapping.destination} ${mapping.operation} v${mapping.version} is already registered: a published version never changes, add a new one`,
      );
    }
    compileWireSchema(mapping);
    this.byKey.set(key, mapping);
    return this;
  }

  has(destination: string, operation: string, version: string): boolean {
    return this.byKey.has(keyOf(destination, operation, version));
  }

  /** Throws `MappingNotFoundError` naming the first thing that is missing: destination, operation, or version. */
  get<Op extends WritebackOperation>(
    destination: string,
    operation: Op,
    version: string,
  ): WritebackMapping<Op>;
  get(destination: string, operation: string, version: string): AnyWritebackMapping;
  get(destination: string, operation: string, version: string): AnyWritebackMapping {
    const found = this.byKey.get(keyOf(destination, operation, version));
    if (found) return found;
    const all = this.list();
    const forDestination = all.filter((m) => m.destination === destination);
    const forOperation = forDestination.filter((m) => m.operation === operation);
    const detail =
      forDestination.length === 0
        ? `no mappings for destination "${destination}" (known destinations: ${unique(all.map((m) => m.destination)) || 'none'})`
        : forOperation.length === 0
          ? `destination "${destination}" has no mapping for operation "${operation}" (it maps: ${unique(forDestination.map((m) => m.operation))})`
          : `destination "${destination}" operation "${operation}" has no mapping version "${version}" (versions: ${unique(forOperation.map((m) => m.version))})`;
    throw new MappingNotFoundError(destination, operation, version, detail);
  }

  list(): readonly AnyWritebackMapping[] {
    return [...this.byKey.values()];
  }

  /** Maps a canonical payload and validates the result against the wire schema; nothing unvalidated leaves here. */
  toWire<Op extends WritebackOperation>(
    mapping: WritebackMapping<Op>,
    payload: CanonicalPayload<Op>,
  ): WireMessage {
    const body = mapping.toWire(payload);
    validateWire(mapping, body);
    return {
      kind: mapping.kind,
      target: mapping.target,
      wireVersion: mapping.wireVersion,
      body,
      mapping: { destination: mapping.destination, operation: mapping.operation, version: mapping.version },
    };
  }
}

function unique(values: readonly string[]): string {
  return [...new Set(values)].sort().join(', ');
}

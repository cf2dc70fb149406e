import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  assertUnreachable,
  validateCanonicalPayload,
  type AnyWritebackMapping,
  type MappingRegistry,
  type WireKind,
} from '@closeout/writeback-domain';
import type { WritebackSpec } from '../definition/workflow-definition.schema';

/**
 * The golden payload pairs a mapping is proven by: files `<destination>/<operation>/v<version>/{input,expected}.json`
 * under `root`. The gate decides; reading is the caller's (a directory in a checkout, the files a built service
 * ships), so the domain does no I/O.
 */
export interface GoldenFiles {
  /** Where the pairs live, as messages should name it. */
  readonly root: string;
  /** Whether the root exists at all. */
  rootExists(): boolean;
  /** The text of one file under the root (path segments), or undefined when there is no such file. */
  read(segments: readonly string[]): string | undefined;
}

const protocolOf = (kind: WireKind): WritebackSpec['protocol'] => {
  switch (kind) {
    case 'json':
      return 'REST';
    case 'soap':
      return 'SOAP';
    case 'record':
      return 'SFTP';
    default:
      return assertUnreachable(kind, 'wire kind');
  }
};

/**
 * Why the mapping a writeback pins is not proven by a golden pair, or undefined when it is: the mapping must be
 * registered, speak the writeback's protocol, have golden/<destination>/<operation>/v<version>/{input,expected}.json,
 * and still render input.json to exactly expected.json.
 */
export function goldenPayloadProblem(
  spec: Pick<WritebackSpec, 'destination' | 'operation' | 'mappingVersion' | 'protocol'>,
  mappings: MappingRegistry,
  golden: GoldenFiles,
): string | undefined {
  const { destination, operation, mappingVersion } = spec;
  let mapping: AnyWritebackMapping;
  try {
    mapping = mappings.get(destination, operation, mappingVersion);
  } catch (error) {
    return `the mapping is not registered: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (protocolOf(mapping.kind) !== spec.protocol) {
    return `the mapping speaks ${protocolOf(mapping.kind)}, the writeback says ${spec.protocol}`;
  }
  if (!golden.rootExists()) {
    // A built service that did not ship the golden files would otherwise report every mapping as unproven.
    return `the golden root ${golden.root} does not exist: ship the golden payloads with the service or pass goldenRoot`;
  }
  const at = [destination, operation, `v${mappingVersion}`];
  const dir = join(golden.root, ...at);
  const input = golden.read([...at, 'input.json']);
  const expected = golden.read([...at, 'expected.json']);
  if (input === undefined || expected === undefined) {
    const missing = [input === undefined && 'input.json', expected === undefined && 'expected.json'];
    return `no golden payload pair: ${missing
      .filter((f): f is string => f !== false)
      .map((f) => join(dir, f))
      .join(' and ')} missing`;
  }
  try {
    const payload = validateCanonicalPayload(mapping.operation, JSON.parse(input));
    // The registry's toWire is typed per operation; the pair was looked up by the same operation.
    const body = mappings.toWire(mapping, payload as never).body;
    if (!isDeepStrictEqual(body, JSON.parse(expected))) {
      return `the mapping no longer renders ${join(dir, 'input.json')} to expected.json`;
    }
  } catch (error) {
    return `the golden pair in ${dir} does not check out: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

import { existsSync, readFileSync } from 'node:fs';
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

/** The writeback domain's golden payloads, found from this file so the gate works from any working directory. */
export const DEFAULT_GOLDEN_ROOT = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'writeback',
  'domain',
  'src',
  'mappings',
  'golden',
);

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

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/**
 * Why the mapping a writeback pins is not proven by a golden pair, or undefined when it is: the mapping must be
 * registered, speak the writeback's protocol, have golden/<destination>/<operation>/v<version>/{input,expected}.json,
 * and still render input.json to exactly expected.json.
 */
export function goldenPayloadProblem(
  spec: Pick<WritebackSpec, 'destination' | 'operation' | 'mappingVersion' | 'protocol'>,
  mappings: MappingRegistry,
  goldenRoot: string,
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
  if (!existsSync(goldenRoot)) {
    // A built service that did not ship the golden files would otherwise report every mapping as unproven.
    return `the golden root ${goldenRoot} does not exist: ship the golden payloads with the service or pass goldenRoot`;
  }
  const dir = join(goldenRoot, destination, operation, `v${mappingVersion}`);
  const missing = ['input.json', 'expected.json'].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0)
    return `no golden payload pair: ${missing.map((f) => join(dir, f)).join(' and ')} missing`;
  try {
    const payload = validateCanonicalPayload(mapping.operation, readJson(join(dir, 'input.json')));
    // The registry's toWire is typed per operation; the pair was looked up by the same operation.
    const body = mappings.toWire(mapping, payload as never).body;
    if (!isDeepStrictEqual(body, readJson(join(dir, 'expected.json')))) {
      return `the mapping no longer renders ${join(dir, 'input.json')} to expected.json`;
    }
  } catch (error) {
    return `the golden pair in ${dir} does not check out: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

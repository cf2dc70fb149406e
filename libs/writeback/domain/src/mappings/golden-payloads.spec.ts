import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateCanonicalPayload } from '../contract';
import { defaultMappingRegistry } from './default-registry';
import { validateWire } from './wire-validation';

/**
 * Golden payloads pin every mapping version: golden/<destination>/<operation>/v<version>/{input,expected}.json.
 * A mapping registered without a golden pair fails here, and so does a golden pair without a mapping.
 */
const goldenRoot = join(__dirname, 'golden');

interface GoldenCase {
  destination: string;
  operation: string;
  version: string;
  dir: string;
}

function discover(): GoldenCase[] {
  const subdirs = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  return subdirs(goldenRoot).flatMap((destination) =>
    subdirs(join(goldenRoot, destination)).flatMap((operation) =>
      subdirs(join(goldenRoot, destination, operation)).map((versionDir) => {
        if (!/^v.+$/.test(versionDir))
          throw new Error(`golden/${destination}/${operation}/${versionDir}: expected v<version>`);
        return {
          destination,
          operation,
          version: versionDir.slice(1),
          dir: join(goldenRoot, destination, operation, versionDir),
        };
      }),
    ),
  );
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const label = (c: { destination: string; operation: string; version: string }): string =>
  `${c.destination} ${c.operation} v${c.version}`;

const cases = discover();

describe('golden payloads', () => {
  it('exist for every registered mapping', () => {
    const missing = defaultMappingRegistry
      .list()
      .filter((m) => {
        const dir = join(goldenRoot, m.destination, m.operation, `v${m.version}`);
        return !existsSync(join(dir, 'input.json')) || !existsSync(join(dir, 'expected.json'));
      })
      .map(label);
    expect(missing).toEqual([]);
  });

  it('belong to a registered mapping', () => {
    const orphans = cases
      .filter((c) => !defaultMappingRegistry.has(c.destination, c.operation, c.version))
      .map(label);
    expect(orphans).toEqual([]);
  });

  describe.each(cases.map((c) => [label(c), c] as const))('%s', (_label, golden) => {
    const mapping = defaultMappingRegistry.get(golden.destination, golden.operation, golden.version);
    const input = readJson(join(golden.dir, 'input.json'));
    const expected = readJson(join(golden.dir, 'expected.json'));

    it('input.json is a valid canonical payload', () => {
      expect(() => validateCanonicalPayload(golden.operation, input)).not.toThrow();
    });

    it('maps input.json to exactly expected.json', () => {
      const payload = validateCanonicalPayload(mapping.operation, input);
      expect(defaultMappingRegistry.toWire(mapping, payload as never).body).toStrictEqual(expected);
    });

    it('expected.json satisfies the wire schema', () => {
      expect(() => validateWire(mapping, expected)).not.toThrow();
    });
  });
});

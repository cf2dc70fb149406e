/**
 * Generates TypeScript types for every Avro schema in schemas/ into libs/contracts/src/generated.
 * `--check` regenerates in memory and fails when the committed files have drifted from the schemas.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { join, basename } from 'node:path';
import { toTypeScript } from '@ovotech/avro-ts';
import type { Schema } from 'avsc';

const root = join(__dirname, '..', '..');
const schemaDir = join(root, 'schemas');
const outDir = join(root, 'libs', 'contracts', 'src', 'generated');
const header =
  '// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.\n';

/** avro-ts calls TypeScript factory functions that print deprecation notices; they say nothing about our schemas. */
function quietly<T>(fn: () => T): T {
  const warn = console.warn;
  const log = console.log;
  console.warn = () => undefined;
  console.log = () => undefined;
  try {
    return fn();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

function moduleName(file: string): string {
  return basename(file, '.avsc').replace(/\./g, '-');
}

export function renderAll(): Map<string, string> {
  const files = readdirSync(schemaDir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
  const out = new Map<string, string>();
  for (const file of files) {
    const schema = JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as Schema;
    // Timestamps stay epoch milliseconds (a long on the wire): no Date conversion hidden in the serde.
    const ts = quietly(() => toTypeScript(schema, { logicalTypes: { 'timestamp-millis': 'number' } }));
    out.set(`${moduleName(file)}.ts`, header + ts + '\n');
  }
  out.set('index.ts', header + renderIndex(files));
  return out;
}

function namespaceIdent(namespace: string): string {
  return namespace
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Collects the named types (records and enums) a schema declares, with their full names. */
function namedTypes(schema: unknown, enclosingNs: string, found: Map<string, string>): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) namedTypes(branch, enclosingNs, found);
    return;
  }
  if (schema === null || typeof schema !== 'object') return;
  const s = schema as {
    type: unknown;
    name?: string;
    namespace?: string;
    fields?: { type: unknown }[];
    items?: unknown;
    values?: unknown;
  };
  if ((s.type === 'record' || s.type === 'enum') && s.name) {
    const ns = s.namespace ?? enclosingNs;
    if (!found.has(s.name)) found.set(s.name, ns);
    for (const field of s.fields ?? []) namedTypes(field.type, ns, found);
    return;
  }
  if (s.type === 'array') namedTypes(s.items, enclosingNs, found);
  else if (s.type === 'map') namedTypes(s.values, enclosingNs, found);
  else if (typeof s.type === 'object') namedTypes(s.type, enclosingNs, found);
}

/**
 * One flat export per named type (the first schema that declares it wins; they are identical) and the
 * raw schema text per subject, so runtime code never reads schemas/ from disk.
 */
function renderIndex(files: string[]): string {
  const lines: string[] = [];
  const exported = new Set<string>();
  const subjects: string[] = [];
  files.forEach((file, i) => {
    const text = readFileSync(join(schemaDir, file), 'utf8');
    const schema = JSON.parse(text) as unknown;
    lines.push(`import type * as m${i} from './${moduleName(file)}';`);
    const found = new Map<string, string>();
    namedTypes(schema, '', found);
    for (const [name, ns] of found) {
      if (exported.has(name)) continue;
      exported.add(name);
      lines.push(`export type ${name} = m${i}.${namespaceIdent(ns)}.${name};`);
    }
    subjects.push(`  '${basename(file, '.avsc')}': ${JSON.stringify(JSON.stringify(schema))},`);
  });
  lines.push('', '/** Schema text by file name (`<topic>-value`, `case-key`, `audit-key`). */');
  lines.push(`export const avroSchemas = {\n${subjects.join('\n')}\n} as const;`);
  lines.push('export type AvroSchemaName = keyof typeof avroSchemas;');
  return lines.join('\n') + '\n';
}

function main(): void {
  const check = process.argv.includes('--check');
  const rendered = renderAll();
  const drift: string[] = [];
  if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
  for (const [file, content] of rendered) {
    const path = join(outDir, file);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) continue;
    if (check) drift.push(file);
    else writeFileSync(path, content);
  }
  for (const file of readdirSync(outDir)) {
    if (!rendered.has(file)) {
      if (check) drift.push(`${file} (no schema)`);
      else unlinkSync(join(outDir, file));
    }
  }
  if (drift.length > 0) {
    console.error(
      `Generated contracts are out of date with schemas/: ${drift.join(', ')}. Run \`npm run contracts:generate\`.`,
    );
    process.exit(1);
  }
  console.log(
    check ? 'contracts: generated types match schemas/' : `contracts: wrote ${rendered.size} files`,
  );
}

if (require.main === module) main();

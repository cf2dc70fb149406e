/**
 * The image installs `npm ci --omit=dev`, and the build (build-app.ts) refuses an app that requires at run time a
 * package that is only a devDependency. This checks the same for every app and lib at once, without building: each
 * value import (not `import type`) of a package in their non-test sources names a package of "dependencies".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const SKIPPED_DIRS = new Set(['node_modules', 'test-support', 'fixtures']);
const TEST_FILE = /\.(spec|integration-spec|browser-spec)\.ts$|\.d\.ts$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : sources(path);
    return e.name.endsWith('.ts') && !TEST_FILE.test(e.name) ? [path] : [];
  });
}

/** The packages a source imports for use at run time (`import … from 'pkg'`, not `import type`, and `import('pkg')`). */
export function runtimePackages(text: string): string[] {
  const specifiers = [
    ...[...text.matchAll(/^\s*import\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('@closeout/') && !isBuiltin(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('runtime dependencies', () => {
  it('reads value imports and skips type-only ones, builtins and workspace aliases', () => {
    expect(
      runtimePackages(
        [
          "import { json } from 'express';",
          "import type { Request } from 'express-serve-static-core';",
          "import { readFileSync } from 'node:fs';",
          "import { Topics } from '@closeout/contracts';",
          "import { trace } from '@opentelemetry/api';",
          "const m = await import('liquidjs');",
          "import 'reflect-metadata';",
        ].join('\n'),
      ).sort(),
    ).toEqual(['@opentelemetry/api', 'express', 'liquidjs', 'reflect-metadata']);
  });

  it('every package the apps and libs import at run time is in package.json "dependencies"', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const missing = new Map<string, string>();
    for (const file of [...sources(join(root, 'apps')), ...sources(join(root, 'libs'))])
      for (const name of runtimePackages(readFileSync(file, 'utf8')))
        if (!(name in pkg.dependencies) && !missing.has(name)) missing.set(name, relative(root, file));
    expect(Object.fromEntries(missing)).toEqual({});
  });
});

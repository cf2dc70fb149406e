/**
 * Production build of one Closeout app: `node -r @swc-node/register tools/build/build-app.ts <app>`
 * (each app's Nx `build` target runs this). Type-checks apps/<app>/src/main.ts and what it imports with
 * tsconfig.build.json and writes a runnable CommonJS tree to dist/apps/<app>/, entry point main.js,
 * with the @closeout/* aliases already resolved. Run it with `node dist/apps/<app>/main.js`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { compileApp } from './compile-app';

const root = join(__dirname, '..', '..');

function main(argv: string[]): number {
  const [app, ...rest] = argv;
  if (!app || rest.length > 0 || !/^[a-z0-9-]+$/.test(app)) {
    console.error('usage: build-app <app>   (an app folder under apps/, e.g. orchestrator)');
    return 2;
  }
  const started = Date.now();
  const outDir = join(root, 'dist', 'apps', app);
  const result = compileApp({ root, app, outDir });

  if (result.diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => root,
      getNewLine: () => '\n',
    };
    console.error(ts.formatDiagnosticsWithColorAndContext(result.diagnostics, host));
  }
  if (result.hasErrors) {
    console.error(`build ${app}: failed, nothing written (${outDir} left as it was)`);
    return 1;
  }

  const missing = packagesOutsideDependencies(result.files);
  if (missing.length > 0) {
    // The image installs `npm ci --omit=dev`: a devDependency required at run time would crash the pod.
    console.error(
      `build ${app}: failed, required at run time but not in package.json "dependencies": ${missing.join(', ')}`,
    );
    return 1;
  }

  // Replace the whole tree so files of modules the app no longer imports do not linger.
  rmSync(outDir, { recursive: true, force: true });
  for (const [file, text] of result.files) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  // Pins the module format of the tree, whatever the workspace package.json says about "type".
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify({ name: `@closeout/${app}-dist`, private: true, type: 'commonjs', main: 'main.js' }, null, 2)}\n`,
  );

  const js = [...result.files.keys()].filter((f) => f.endsWith('.js')).length;
  console.log(
    `build ${app}: ${js} modules → ${relative(root, join(outDir, 'main.js'))} (${Date.now() - started} ms)`,
  );
  return 0;
}

/** Bare `require()`s of the emitted code that the production install (dependencies only) would not provide. */
function packagesOutsideDependencies(files: Map<string, string>): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const provided = new Set(Object.keys(pkg.dependencies ?? {}));
  const missing = new Set<string>();
  for (const [file, text] of files) {
    if (!file.endsWith('.js')) continue;
    for (const [, spec] of text.matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (spec!.startsWith('.') || isBuiltin(spec!)) continue;
      const name = spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!;
      if (!provided.has(name)) missing.add(name);
    }
  }
  return [...missing].sort();
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

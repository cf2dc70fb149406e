/**
 * The JavaScript the local launcher runs: apps/, libs/ and deploy/ transpiled once, up front, into
 * dist/platform/<fingerprint>/ with the repository's layout (so `__dirname`-relative files such as message
 * templates and attestation texts resolve as they do from the sources), every other file copied beside them.
 *
 * Why not `-r @swc-node/register` per process: each service then loads the TypeScript compiler (~50 MB of heap)
 * and checks its transform cache for every module at boot. Why not tsc (tools/build/build-app.ts, the image
 * build): it type-checks, ~12 s per app; `npm test` type-checks already, and the launcher needs the nine apps in
 * seconds. The transform is @swc-node's own, with the options it derives from tsconfig.json, so the code that
 * runs is the code the register hook ran before: same decorator metadata, same `@closeout/*` resolution (swc
 * rewrites the aliases to relative paths; the build fails if one is left).
 *
 * The tree is keyed by a fingerprint of the inputs (path, size, mtime): an unchanged checkout reuses it, a change
 * builds a new one next to it, and processes still running from an older tree keep their files (the newest few
 * trees are kept).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { transformSync } from '@swc-node/core';
import { readDefaultTsConfig, tsCompilerOptionsToSwcConfig } from '@swc-node/register/read-default-tsconfig';

/** Source folders of the workspace that services import from. */
const SOURCE_ROOTS = ['apps', 'libs', 'deploy'] as const;
/** Settings files whose change changes the output. */
const SETTINGS_FILES = ['tsconfig.json', 'tsconfig.base.json', 'package-lock.json'] as const;
/** Trees kept after a build (the new one among them). */
const KEEP_TREES = 4;
const COMPLETE = '.complete';

const SPEC = /\.(spec|integration-spec|browser-spec)\.ts$/;

export interface PlatformBuild {
  /** Root of the tree: the repository's layout, `.js` for `.ts`. */
  dir: string;
  /** False when an existing tree for the same inputs was reused. */
  built: boolean;
  files: number;
  ms: number;
}

interface SourceFile {
  rel: string;
  size: number;
  mtimeMs: number;
}

function listSources(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) walk(abs);
      else if (entry.isFile() && !SPEC.test(entry.name)) {
        const st = statSync(abs);
        out.push({ rel: relative(root, abs).split(sep).join('/'), size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  for (const r of SOURCE_ROOTS) if (existsSync(join(root, r))) walk(join(root, r));
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Fingerprint of everything that decides the output: the source files' names, sizes and times, and the settings. */
export function platformFingerprint(root: string, sources: SourceFile[] = listSources(root)): string {
  const h = createHash('sha256');
  for (const f of sources) h.update(`${f.rel}\0${f.size}\0${f.mtimeMs}\n`);
  for (const s of SETTINGS_FILES) {
    const p = join(root, s);
    h.update(`${s}\0${existsSync(p) ? readFileSync(p) : ''}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/** The `require`s left pointing at a workspace alias: swc should have made each a relative path. */
export function unresolvedAliases(code: string): string[] {
  return [...code.matchAll(/require\(["'](@closeout\/[^"']+)["']\)/g)].map((m) => m[1]!);
}

/**
 * Returns the tree for the checkout as it is now, building it when there is none. Safe to call from several
 * processes at once: each builds into its own temporary folder and the first rename wins.
 */
export function ensurePlatformBuild(root: string): PlatformBuild {
  const started = Date.now();
  const sources = listSources(root);
  const fingerprint = platformFingerprint(root, sources);
  const base = join(root, 'dist', 'platform');
  const dir = join(base, fingerprint);
  if (existsSync(join(dir, COMPLETE))) {
    return { dir, built: false, files: sources.length, ms: Date.now() - started };
  }

  const tmp = join(base, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const tsOptions = readDefaultTsConfig(join(root, 'tsconfig.json'));
  try {
    for (const f of sources) {
      const from = join(root, f.rel);
      if (f.rel.endsWith('.ts') && !f.rel.endsWith('.d.ts')) {
        const to = join(tmp, f.rel.replace(/\.ts$/, '.js'));
        const options = { ...tsCompilerOptionsToSwcConfig(tsOptions, from), sourcemap: true as const };
        const out = transformSync(readFileSync(from, 'utf8'), from, options);
        const left = unresolvedAliases(out.code);
        if (left.length > 0) {
          throw new Error(`platform build: ${f.rel} still requires ${left.join(', ')} after the alias rewrite`);
        }
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, `${out.code}\n//# sourceMappingURL=${basename(to)}.map\n`);
        if (out.map) writeFileSync(`${to}.map`, out.map);
      } else {
        const to = join(tmp, f.rel);
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(from, to);
      }
    }
    writeFileSync(join(tmp, COMPLETE), `${fingerprint}\n`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process built the same tree first: use theirs.
      if (!existsSync(join(dir, COMPLETE))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pruneTrees(base, dir);
  return { dir, built: true, files: sources.length, ms: Date.now() - started };
}

/** Removes all but the newest KEEP_TREES complete trees, and temporary folders an interrupted build left. */
function pruneTrees(base: string, keep: string): void {
  const trees = readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(base, e.name))
    .map((p) => ({ p, mtime: statSync(p).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  let kept = 0;
  for (const { p, mtime } of trees) {
    const isTmp = p.slice(base.length + 1).startsWith('.tmp-');
    if (isTmp) {
      // A build in progress elsewhere is minutes old at most.
      if (Date.now() - mtime > 10 * 60_000) rmSync(p, { recursive: true, force: true });
      continue;
    }
    if (p === keep || kept < KEEP_TREES - 1) {
      if (p !== keep) kept += 1;
      continue;
    }
    rmSync(p, { recursive: true, force: true });
  }
}

/** The compiled entry point of a service in a tree. */
export function serviceEntry(build: PlatformBuild, app: string): string {
  return join(build.dir, 'apps', app, 'src', 'main.js');
}

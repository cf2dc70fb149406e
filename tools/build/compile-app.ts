/**
 * Compiles one app (apps/<name>/src/main.ts and everything it imports) into a runnable CommonJS tree:
 *
 *   dist/apps/<name>/main.js             ← apps/<name>/src/main.ts
 *   dist/apps/<name>/<dir>/x.js          ← apps/<name>/src/<dir>/x.ts
 *   dist/apps/<name>/libs/<lib>/src/…    ← libs/<lib>/src/… (only the files the app reaches)
 *
 * tsc does the work, so the program is type-checked and decorator metadata is exact (NestJS resolves
 * constructor injection from `design:paramtypes`). tsc leaves `@closeout/*` path aliases as they are,
 * so an `after` transformer rewrites every `require()` of a workspace file to a relative path between
 * the two output locations; packages from node_modules are left alone. Nothing is bundled: the image's
 * node_modules provides the dependencies, and stack traces map back to the sources through the .map files.
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface CompileAppOptions {
  /** Workspace root (holds tsconfig.build.json, apps/, libs/). */
  root: string;
  /** App name: the folder under apps/. */
  app: string;
  /** Where the app's tree goes; default `<root>/dist/apps/<app>`. */
  outDir?: string;
  /** tsconfig holding the emit options; default `<root>/tsconfig.build.json`. */
  tsconfig?: string;
  /** For tests: an in-memory host. Defaults to the file system. */
  host?: ts.CompilerHost;
  /** For tests: compiler options used instead of reading `tsconfig`. */
  compilerOptions?: ts.CompilerOptions;
}

export interface CompileAppResult {
  /** Output file (absolute path) → contents. Empty when there are errors. */
  files: Map<string, string>;
  diagnostics: readonly ts.Diagnostic[];
  hasErrors: boolean;
}

const toPosix = (p: string): string => p.split(sep).join('/');

/** Where a workspace source file lands in the app's output tree (the .ts extension becomes .js). */
export function outputPathFor(
  sourceFile: string,
  opts: { root: string; app: string; outDir: string },
): string {
  const rel = toPosix(relative(opts.root, sourceFile));
  if (rel.startsWith('../') || isAbsolute(rel)) {
    throw new Error(
      `${sourceFile} is outside the workspace ${opts.root}; the build only compiles workspace files`,
    );
  }
  const emitted = rel.replace(/\.tsx?$/, '.js');
  const appSrc = `apps/${opts.app}/src/`;
  return join(opts.outDir, emitted.startsWith(appSrc) ? emitted.slice(appSrc.length) : emitted);
}

/** A `require()` specifier from one output file to another: always relative, always with its extension. */
export function relativeSpecifier(fromFile: string, toFile: string): string {
  const rel = toPosix(relative(dirname(fromFile), toFile));
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function readBuildOptions(tsconfig: string): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${tsconfig}`);
  if (parsed.errors.length > 0) {
    throw new Error(
      parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'),
    );
  }
  return parsed.options;
}

/**
 * Rewrites `require("<spec>")` (which is also what tsc emits for `import`, `export … from` and dynamic
 * `import()` under module=commonjs) whenever <spec> resolves to a workspace file.
 */
function requireRewriter(
  program: ts.Program,
  host: ts.CompilerHost,
  layout: { root: string; app: string; outDir: string },
): ts.TransformerFactory<ts.SourceFile> {
  const options = program.getCompilerOptions();
  const cache = ts.createModuleResolutionCache(layout.root, host.getCanonicalFileName, options);
  return (context) => (sourceFile) => {
    const fromOut = outputPathFor(sourceFile.fileName, layout);
    const rewrite = (spec: string): string | undefined => {
      const { resolvedModule } = ts.resolveModuleName(spec, sourceFile.fileName, options, host, cache);
      if (!resolvedModule || resolvedModule.isExternalLibraryImport) return undefined;
      if (resolvedModule.extension === ts.Extension.Dts) {
        throw new Error(
          `${sourceFile.fileName}: "${spec}" resolves to a declaration file (${resolvedModule.resolvedFileName}); nothing exists to require at run time`,
        );
      }
      return relativeSpecifier(fromOut, outputPathFor(resolvedModule.resolvedFileName, layout));
    };
    const visit = (node: ts.Node): ts.Node => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'require' &&
        node.arguments.length === 1 &&
        ts.isStringLiteral(node.arguments[0]!)
      ) {
        const target = rewrite(node.arguments[0].text);
        if (target !== undefined) {
          return context.factory.updateCallExpression(node, node.expression, node.typeArguments, [
            context.factory.createStringLiteral(target),
          ]);
        }
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitEachChild(sourceFile, visit, context);
  };
}

/** Source maps moved with their .js file: re-point `sources` from the new location. */
function relocateSourceMap(text: string, emittedAt: string, writtenAt: string): string {
  const map = JSON.parse(text) as { sources: string[]; sourceRoot?: string };
  map.sources = map.sources.map((s) => toPosix(relative(dirname(writtenAt), resolve(dirname(emittedAt), s))));
  return JSON.stringify(map);
}

export function compileApp(opts: CompileAppOptions): CompileAppResult {
  const root = resolve(opts.root);
  const outDir = resolve(opts.outDir ?? join(root, 'dist', 'apps', opts.app));
  const layout = { root, app: opts.app, outDir };
  const entry = join(root, 'apps', opts.app, 'src', 'main.ts');

  const options: ts.CompilerOptions = {
    ...(opts.compilerOptions ?? readBuildOptions(opts.tsconfig ?? join(root, 'tsconfig.build.json'))),
    // tsc's own layout (mirrors the workspace under outDir); writeFile below moves each file to its place.
    rootDir: root,
    outDir: join(outDir, '.tsc'),
    noEmit: false,
    noEmitOnError: true,
    declaration: false,
    incremental: false,
    composite: false,
    module: ts.ModuleKind.CommonJS,
  };
  if (!options.emitDecoratorMetadata || !options.experimentalDecorators) {
    throw new Error(
      'NestJS needs experimentalDecorators and emitDecoratorMetadata; the build options turn one off',
    );
  }

  const host = opts.host ?? ts.createCompilerHost(options, true);
  if (!host.fileExists(entry)) throw new Error(`no entry point: ${entry}`);
  const program = ts.createProgram({ rootNames: [entry], options, host });
  const diagnostics = ts.sortAndDeduplicateDiagnostics(ts.getPreEmitDiagnostics(program));
  const files = new Map<string, string>();
  if (diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) {
    return { files, diagnostics, hasErrors: true };
  }

  const tscOut = options.outDir!;
  const writtenFrom = new Map<string, string>();
  const emit = program.emit(
    undefined,
    (emittedAt, text) => {
      // emittedAt = <outDir>/.tsc/<workspace-relative path>; map it back to its source to place it.
      const rel = relative(tscOut, emittedAt);
      const isMap = rel.endsWith('.map');
      const sourceLike = join(root, isMap ? rel.slice(0, -'.map'.length) : rel);
      const writtenAt = outputPathFor(sourceLike, layout) + (isMap ? '.map' : '');
      const previous = writtenFrom.get(writtenAt);
      if (previous !== undefined && previous !== emittedAt) {
        throw new Error(`two sources land on ${writtenAt}: ${previous} and ${emittedAt}`);
      }
      writtenFrom.set(writtenAt, emittedAt);
      files.set(writtenAt, isMap ? relocateSourceMap(text, emittedAt, writtenAt) : text);
    },
    undefined,
    false,
    { after: [requireRewriter(program, host, layout)] },
  );

  const all = ts.sortAndDeduplicateDiagnostics([...diagnostics, ...emit.diagnostics]);
  const hasErrors = emit.emitSkipped || all.some((d) => d.category === ts.DiagnosticCategory.Error);
  if (!hasErrors && !files.has(join(outDir, 'main.js')))
    throw new Error(`tsc emitted no ${join(outDir, 'main.js')}`);
  return { files: hasErrors ? new Map() : files, diagnostics: all, hasErrors };
}

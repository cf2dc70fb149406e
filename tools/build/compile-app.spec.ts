import { join } from 'node:path';
import ts from 'typescript';
import { compileApp, outputPathFor, relativeSpecifier } from './compile-app';

// A tiny workspace held in memory: one app and one lib reached through a path alias. TypeScript's own
// lib.*.d.ts files still come from node_modules through the default host.
const root = join('/', 'virtual-workspace');
const outDir = join(root, 'dist', 'apps', 'demo');

const workspace: Record<string, string> = {
  'apps/demo/src/main.ts': `
    import { Greeter } from '@closeout/greeting';
    import { GreetingService } from './greeting/greeting.service';
    export async function main(): Promise<string> {
      const { shout } = await import('@closeout/greeting');
      return shout(new GreetingService(new Greeter()).greet());
    }
  `,
  'apps/demo/src/greeting/greeting.service.ts': `
    import { Greeter } from '@closeout/greeting';
    const Injectable = (): ClassDecorator => () => undefined;
    @Injectable()
    export class GreetingService {
      constructor(private readonly greeter: Greeter) {}
      greet(): string { return this.greeter.hello(); }
    }
  `,
  'libs/greeting/src/index.ts': `export * from './greeter';\nexport * from './shout';\n`,
  'libs/greeting/src/greeter.ts': `export class Greeter { hello(): string { return 'hello'; } }\n`,
  'libs/greeting/src/shout.ts': `export const shout = (s: string): string => s.toUpperCase();\n`,
};

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  lib: ['lib.es2022.d.ts'],
  types: [],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  sourceMap: true,
  baseUrl: root,
  paths: { '@closeout/greeting': ['libs/greeting/src/index.ts'] },
};

function hostWith(files: Record<string, string>): ts.CompilerHost {
  const real = ts.createCompilerHost(options, true);
  const virtual = new Map(Object.entries(files).map(([rel, text]) => [join(root, rel), text]));
  return {
    ...real,
    fileExists: (f) => virtual.has(f) || real.fileExists(f),
    readFile: (f) => virtual.get(f) ?? real.readFile(f),
    directoryExists: (d) =>
      [...virtual.keys()].some((f) => f.startsWith(`${d}/`)) || (real.directoryExists?.(d) ?? false),
    getSourceFile: (f, lang) => {
      const text = virtual.get(f);
      return text === undefined ? real.getSourceFile(f, lang) : ts.createSourceFile(f, text, lang, true);
    },
    getCurrentDirectory: () => root,
    writeFile: () => {
      throw new Error('compileApp must not write to disk');
    },
  };
}

const compile = (files = workspace) =>
  compileApp({ root, app: 'demo', outDir, host: hostWith(files), compilerOptions: options });

describe('compileApp', () => {
  it('puts the app at the top of dist/apps/<app> with main.js as the entry point and libs beside it', () => {
    const result = compile();
    expect(result.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    expect([...result.files.keys()].filter((f) => f.endsWith('.js')).sort()).toEqual(
      [
        'greeting/greeting.service.js',
        'libs/greeting/src/greeter.js',
        'libs/greeting/src/index.js',
        'libs/greeting/src/shout.js',
        'main.js',
      ].map((f) => join(outDir, f)),
    );
  });

  it('resolves the path aliases, static and dynamic, to relative requires', () => {
    const files = compile().files;
    const main = files.get(join(outDir, 'main.js'))!;
    const service = files.get(join(outDir, 'greeting/greeting.service.js'))!;
    expect(main).toContain('require("./libs/greeting/src/index.js")');
    expect(main).toContain('require("./greeting/greeting.service.js")');
    expect(service).toContain('require("../libs/greeting/src/index.js")');
    for (const [file, text] of files) {
      if (file.endsWith('.js')) expect(text).not.toMatch(/require\("@closeout\//);
    }
  });

  it('emits the constructor parameter types NestJS injects by', () => {
    const service = compile().files.get(join(outDir, 'greeting/greeting.service.js'))!;
    expect(service).toMatch(/__metadata\("design:paramtypes", \[\w+\.Greeter\]\)/);
  });

  it('points the moved source maps back at the sources', () => {
    const map = JSON.parse(compile().files.get(join(outDir, 'greeting/greeting.service.js.map'))!) as {
      sources: string[];
    };
    expect(map.sources).toEqual(['../../../../apps/demo/src/greeting/greeting.service.ts']);
  });

  it('writes nothing when the program does not type-check', () => {
    const result = compile({
      ...workspace,
      'libs/greeting/src/shout.ts': `export const shout = (s: string): number => s;\n`,
    });
    expect(result.hasErrors).toBe(true);
    expect(result.files.size).toBe(0);
    expect(result.diagnostics.map((d) => d.file?.fileName)).toContain(
      join(root, 'libs/greeting/src/shout.ts'),
    );
  });

  it('refuses options that would drop decorator metadata', () => {
    expect(() =>
      compileApp({
        root,
        app: 'demo',
        outDir,
        host: hostWith(workspace),
        compilerOptions: { ...options, emitDecoratorMetadata: false },
      }),
    ).toThrow(/emitDecoratorMetadata/);
  });
});

describe('outputPathFor', () => {
  const layout = { root, app: 'demo', outDir };
  it('maps app sources to the top of the output and everything else under its workspace path', () => {
    expect(outputPathFor(join(root, 'apps/demo/src/main.ts'), layout)).toBe(join(outDir, 'main.js'));
    expect(outputPathFor(join(root, 'libs/kafka/src/index.ts'), layout)).toBe(
      join(outDir, 'libs/kafka/src/index.js'),
    );
    expect(outputPathFor(join(root, 'libs/x/src/data.json'), layout)).toBe(
      join(outDir, 'libs/x/src/data.json'),
    );
  });
  it('rejects files outside the workspace', () => {
    expect(() => outputPathFor('/elsewhere/x.ts', layout)).toThrow(/outside the workspace/);
  });
});

describe('relativeSpecifier', () => {
  it('is always explicitly relative', () => {
    expect(relativeSpecifier('/o/main.js', '/o/config.js')).toBe('./config.js');
    expect(relativeSpecifier('/o/a/b.js', '/o/libs/c/index.js')).toBe('../libs/c/index.js');
  });
});

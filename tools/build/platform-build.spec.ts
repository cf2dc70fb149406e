import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensurePlatformBuild, serviceEntry, unresolvedAliases } from './platform-build';

/** A workspace of one app and one lib, with the alias, decorators and a file the app reads beside its sources. */
function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'platform-build-'));
  const put = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  put(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        module: 'commonjs',
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        esModuleInterop: true,
        baseUrl: '.',
        paths: { '@closeout/greet': ['libs/greet/src/index.ts'] },
      },
    }),
  );
  put(
    'libs/greet/src/index.ts',
    `export class Greeter { constructor(readonly who: string) {} }\nexport const greet = (g: Greeter): string => 'hello ' + g.who;\n`,
  );
  put(
    'apps/hello/src/main.ts',
    [
      `import { readFileSync } from 'node:fs';`,
      `import { join } from 'node:path';`,
      `import { greet, Greeter } from '@closeout/greet';`,
      `const mark = (): ClassDecorator => () => undefined;`,
      `@mark() class Uses { constructor(readonly g: Greeter) {} }`,
      `void Uses;`,
      `const suffix = readFileSync(join(__dirname, '..', 'templates', 'suffix.txt'), 'utf8').trim();`,
      `console.log(greet(new Greeter('world')) + suffix);`,
    ].join('\n'),
  );
  put('apps/hello/templates/suffix.txt', '!\n');
  put('apps/hello/src/main.spec.ts', `it('is a test', () => undefined);\n`);
  return root;
}

describe('ensurePlatformBuild', () => {
  let root: string;
  beforeEach(() => {
    root = workspace();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds a runnable tree: aliases made relative, files beside the sources copied, specs left out', () => {
    const build = ensurePlatformBuild(root);
    expect(build.built).toBe(true);

    const entry = serviceEntry(build, 'hello');
    expect(readFileSync(entry, 'utf8')).toContain('require("../../../libs/greet/src")');
    expect(execFileSync(process.execPath, [entry], { encoding: 'utf8' }).trim()).toBe('hello world!');
    expect(existsSync(join(build.dir, 'apps', 'hello', 'src', 'main.spec.js'))).toBe(false);
    expect(existsSync(`${entry}.map`)).toBe(true);
  });

  it('reuses the tree while the sources are unchanged and builds a new one when one changes', () => {
    const first = ensurePlatformBuild(root);
    const again = ensurePlatformBuild(root);
    expect(again).toMatchObject({ dir: first.dir, built: false });

    const lib = join(root, 'libs', 'greet', 'src', 'index.ts');
    writeFileSync(lib, readFileSync(lib, 'utf8').replace("'hello '", "'hi '"));
    utimesSync(lib, new Date(), new Date(Date.now() + 5_000));
    const changed = ensurePlatformBuild(root);
    expect(changed.built).toBe(true);
    expect(changed.dir).not.toBe(first.dir);
    expect(
      execFileSync(process.execPath, [serviceEntry(changed, 'hello')], { encoding: 'utf8' }).trim(),
    ).toBe('hi world!');
    // The older tree stays for processes still running from it.
    expect(existsSync(serviceEntry(first, 'hello'))).toBe(true);
  });

  it('fails naming the file when an alias is left unresolved', () => {
    writeFileSync(join(root, 'apps', 'hello', 'src', 'extra.ts'), `export * from '@closeout/unknown';\n`);
    expect(() => ensurePlatformBuild(root)).toThrow(
      /apps\/hello\/src\/extra\.ts still requires @closeout\/unknown/,
    );
    // Neither a tree nor a half-written folder is left.
    const base = join(root, 'dist', 'platform');
    expect(existsSync(base) ? readdirSync(base) : []).toEqual([]);
  });
});

describe('unresolvedAliases', () => {
  it('finds workspace aliases among requires and leaves packages and relative paths', () => {
    const code = `const a = require("@closeout/config"); const b = require('kafkajs'); const c = require("../x");`;
    expect(unresolvedAliases(code)).toEqual(['@closeout/config']);
  });
});

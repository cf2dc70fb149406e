// Lint rules that catch what has cost event-driven services before: floating promises, non-exhaustive
// switches over status unions, type-only imports left as values, and imports that break the layering.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import importPlugin from 'eslint-plugin-import';

// What does I/O: database, broker, HTTP, SOAP and SFTP clients, and the framework that wires them.
const DOMAIN_BANNED_PACKAGES = [
  'pg', 'pg-*', 'typeorm', 'kafkajs', '@kafkajs/*', 'axios', 'undici', 'soap', 'ssh2', 'ssh2-sftp-client',
  '@nestjs/*', 'pino', 'pino-*', '@opentelemetry/*',
];
const DOMAIN_BANNED_NODE_MODULES = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'child_process', 'worker_threads', 'cluster']
  .flatMap((m) => [m, `node:${m}`]);

const depConstraints = [
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
  // Domain libs decide; they do no I/O. Node's own I/O modules are refused by `no-restricted-imports` below (the
  // boundary rule sees npm packages only).
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'],
    bannedExternalImports: DOMAIN_BANNED_PACKAGES,
  },
  { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:adapter', 'type:domain', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:adapter', 'type:domain', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:adapter', 'type:domain', 'type:contracts', 'type:util', 'type:tool'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:writeback', onlyDependOnLibsWithTags: ['scope:writeback', 'scope:shared'] },
  { sourceTag: 'scope:trigger-ingest', onlyDependOnLibsWithTags: ['scope:trigger-ingest', 'scope:shared'] },
  // Workflow definitions build writeback requests with the writeback domain's contract and keys.
  { sourceTag: 'scope:workflow', onlyDependOnLibsWithTags: ['scope:workflow', 'scope:writeback', 'scope:shared'] },
  // The orchestrator runs the workflows and produces writeback.requested.
  { sourceTag: 'scope:orchestrator', onlyDependOnLibsWithTags: ['scope:orchestrator', 'scope:workflow', 'scope:writeback', 'scope:shared'] },
  { sourceTag: 'scope:messaging', onlyDependOnLibsWithTags: ['scope:messaging', 'scope:shared'] },
  { sourceTag: 'scope:mini-app-backend', onlyDependOnLibsWithTags: ['scope:mini-app-backend', 'scope:shared'] },
  { sourceTag: 'scope:writeback-rest', onlyDependOnLibsWithTags: ['scope:writeback-rest', 'scope:writeback', 'scope:shared'] },
  { sourceTag: 'scope:writeback-soap', onlyDependOnLibsWithTags: ['scope:writeback-soap', 'scope:writeback', 'scope:shared'] },
  { sourceTag: 'scope:writeback-sftp', onlyDependOnLibsWithTags: ['scope:writeback-sftp', 'scope:writeback', 'scope:shared'] },
  // The reconciler judges SLOs against the workflows' own targets.
  { sourceTag: 'scope:reconciler', onlyDependOnLibsWithTags: ['scope:reconciler', 'scope:workflow', 'scope:writeback', 'scope:shared'] },
  { sourceTag: 'scope:audit-exporter', onlyDependOnLibsWithTags: ['scope:audit-exporter', 'scope:shared'] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
];

// Tests and benchmarks may also use the test doubles and harnesses in tools/ (simulated cores, devstack helpers);
// production code never can.
// Specs may read their fixtures: the I/O ban is for the code the domain ships.
// The reconciler's integration test runs a REST writeback service beside it (the REST adapter's test service).
const TEST_ONLY_TAGS = { 'scope:reconciler': ['scope:writeback-rest'] };
const testDepConstraints = depConstraints.map(({ bannedExternalImports: _banned, ...c }) => ({
  ...c,
  onlyDependOnLibsWithTags: c.onlyDependOnLibsWithTags.includes('*')
    ? c.onlyDependOnLibsWithTags
    : [...c.onlyDependOnLibsWithTags, 'type:tool', 'scope:tools', ...(TEST_ONLY_TAGS[c.sourceTag] ?? [])],
}));

const boundaries = (constraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints: constraints },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.devstack/**', '.nx/**', 'libs/contracts/src/generated/**', '**/*.js', '**/*.mjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    // Decorator metadata makes constructor parameter types runtime values (Nest DI): the type-import rule must know.
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, emitDecoratorMetadata: true, experimentalDecorators: true },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
    },
    rules: { 'import/no-cycle': 'error' },
  },
  {
    // The domain libs (type:domain) do no I/O: files, sockets, processes are the adapters' and apps' business.
    files: ['libs/*/domain/src/**/*.ts'],
    ignores: [
      '**/*.spec.ts',
      '**/*.integration-spec.ts',
      '**/test-support/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: DOMAIN_BANNED_NODE_MODULES.map((name) => ({ name, message: 'domain libs do no I/O: do it in an adapter or app and pass the data in' })) },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.integration-spec.ts', 'tools/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*.integration-spec.ts',
      '**/*.browser-spec.ts',
      '**/bench/**/*.ts',
      '**/test-support/**/*.ts',
    ],
    rules: { '@nx/enforce-module-boundaries': boundaries(testDepConstraints) },
  },
  prettier,
);

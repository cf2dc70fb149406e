// One Jest configuration for the whole workspace: unit tests (`*.spec.ts`, no I/O) and integration tests
// (`*.integration-spec.ts`, against the real Kafka, registry, PostgreSQL and sshd resolved by the global setup).
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    },
  ],
};

const common = { rootDir: __dirname, testEnvironment: 'node', transform, moduleNameMapper, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools,deploy}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,tools,deploy}/**/*.integration-spec.ts'],
      globalSetup: '<rootDir>/tools/jest/integration-global-setup.ts',
      globalTeardown: '<rootDir>/tools/jest/integration-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/tools/jest/integration-timeout.ts'],
    },
  ],
};

// One Jest configuration for the whole workspace: unit tests (`*.spec.ts`, no I/O), integration tests
// (`*.integration-spec.ts`, against the real Kafka, registry, PostgreSQL and sshd resolved by the global setup) and
// browser tests (`*.browser-spec.ts`: Debian's chromium through playwright-core over running services, tools/browser).
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

// @nestjs/typeorm 12 ships ES modules only: Node 24 requires them natively, Jest's module loader needs them compiled.
const transform = {
  '^.+\\.(ts|js)$': [
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

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/typeorm/)'],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  reporters: ['default', '<rootDir>/tools/jest/log-location-reporter.js'],
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
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/{apps,libs,tools,deploy}/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/tools/browser/browser-global-setup.ts',
      globalTeardown: '<rootDir>/tools/jest/integration-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/tools/browser/browser-test-setup.ts'],
    },
  ],
};

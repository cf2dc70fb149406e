import { basename, join } from 'node:path';

// Integration tests talk to a real broker, registry and database: their budget is minutes, not seconds.
jest.setTimeout(120_000);

// Every in-process service, client and relay of a suite logs to its own file, not into the test output; the run names the
// file of each failed suite (tools/jest/log-location-reporter.js). Processes the suite starts through tools/demo/services.ts log under .devstack/services.
const suite = basename(expect.getState().testPath ?? 'unknown-suite').replace(/\.integration-spec\.ts$/, '');
process.env['LOG_FILE'] ??= join(__dirname, '..', '..', '.devstack', 'test-logs', `${suite}.log`);

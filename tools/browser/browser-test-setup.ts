import { basename, join } from 'node:path';

// Browser tests drive real pages over running services: their budget is minutes, not seconds.
jest.setTimeout(120_000);

// In-process services and simulators a suite starts log to its own file (as integration suites do), not into the test
// output: .devstack/test-logs/<suite>.log.
const suite = basename(expect.getState().testPath ?? 'unknown-suite').replace(/\.browser-spec\.ts$/, '');
process.env['LOG_FILE'] ??= join(__dirname, '..', '..', '.devstack', 'test-logs', `${suite}.log`);

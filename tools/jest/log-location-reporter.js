// Names the log file of each integration suite that failed: its in-process services log there (LOG_FILE, set in
// tools/jest/integration-timeout.ts), not into the test output.
const { basename, join, relative } = require('node:path');

class LogLocationReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.failed = [];
  }

  onTestResult(_test, result) {
    if (!result.testFilePath.endsWith('.integration-spec.ts')) return;
    if (result.numFailingTests === 0 && !result.testExecError) return;
    const suite = basename(result.testFilePath).replace(/\.integration-spec\.ts$/, '');
    this.failed.push(relative(this.rootDir, join(this.rootDir, '.devstack', 'test-logs', `${suite}.log`)));
  }

  onRunComplete() {
    if (this.failed.length === 0) return;
    process.stderr.write(
      `\nLogs of the failed integration suites (services started as processes log under .devstack/services):\n${this.failed
        .map((f) => `  ${f}`)
        .join('\n')}\n`,
    );
  }
}

module.exports = LogLocationReporter;

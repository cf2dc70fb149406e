// Names the log file of each integration or browser suite that failed: its in-process services log there (LOG_FILE,
// set in tools/jest/integration-timeout.ts and tools/browser/browser-test-setup.ts), not into the test output.
const { basename, join, relative } = require('node:path');

class LogLocationReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.failed = [];
  }

  onTestResult(_test, result) {
    const kind = /\.(integration|browser)-spec\.ts$/.exec(result.testFilePath);
    if (!kind) return;
    if (result.numFailingTests === 0 && !result.testExecError) return;
    const suite = basename(result.testFilePath).slice(0, -kind[0].length);
    this.failed.push(relative(this.rootDir, join(this.rootDir, '.devstack', 'test-logs', `${suite}.log`)));
  }

  onRunComplete() {
    if (this.failed.length === 0) return;
    process.stderr.write(
      `\nLogs of the failed integration and browser suites (services started as processes log under .devstack/services):\n${this.failed
        .map((f) => `  ${f}`)
        .join('\n')}\n`,
    );
  }
}

module.exports = LogLocationReporter;

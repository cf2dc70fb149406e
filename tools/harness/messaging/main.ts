/**
 * The messaging fault-and-crash harness from the command line:
 *
 *   node_modules/.bin/node -r @swc-node/register tools/harness/messaging/main.ts --n 5000 --kills 6
 *
 * Needs the devstack (`tools/devstack/devstack up`). Prints progress, then the figures; exits 1 on any violation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, runMessagingHarness } from './messaging-harness';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '1000' },
      kills: { type: 'string', default: '3' },
      seed: { type: 'string' },
      'settle-timeout-s': { type: 'string' },
      'no-smtp-faults': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string | undefined, min: number, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name}: must be an integer from ${min} to ${max}, got "${text}"`);
    return value;
  };
  const settle = int('settle-timeout-s', values['settle-timeout-s'], 10, 86_400);
  const report = await runMessagingHarness({
    n: int('n', values.n, 100, 999_999)!,
    kills: int('kills', values.kills, 0, 100)!,
    seed: int('seed', values.seed, 0, 2 ** 31 - 1),
    smtpFaults: !values['no-smtp-faults'],
    ...(settle !== undefined ? { settleTimeoutMs: settle * 1_000 } : {}),
    keep: values.keep,
  });
  const dir = join(__dirname, '..', '..', '..', '.devstack', 'harness');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `messaging-${report.runId}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\n${formatReport(report)}\n(full report: ${file})`);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  return report.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);

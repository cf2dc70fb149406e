/**
 * The writeback fault-and-crash harness from the command line:
 *
 *   node_modules/.bin/node -r @swc-node/register tools/harness/writeback/main.ts [--protocol REST|SOAP|SFTP] --n 20000 --kills 10
 *
 * Needs the devstack (`tools/devstack/devstack up`). Prints progress, then the figures; exits 1 on any violation.
 */
import { parseArgs } from 'node:util';
import { formatReport, runWritebackHarness } from './fault-harness';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      protocol: { type: 'string', default: 'REST' },
      n: { type: 'string', default: '2000' },
      kills: { type: 'string', default: '3' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string', default: '3105' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${name}: must be an integer ≥ 0, got "${text}"`);
    return value;
  };
  const protocol = values.protocol.toUpperCase();
  if (protocol !== 'REST' && protocol !== 'SOAP' && protocol !== 'SFTP')
    throw new Error(`--protocol: must be REST, SOAP or SFTP, got "${values.protocol}"`);
  const report = await runWritebackHarness({
    protocol,
    n: int('n', values.n)!,
    kills: int('kills', values.kills)!,
    publishRatePerSecond: int('rate', values.rate),
    seed: int('seed', values.seed),
    servicePort: int('port', values.port),
    keep: values.keep,
  });
  console.log(`\n${formatReport(report)}`);
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

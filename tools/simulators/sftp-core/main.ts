/**
 * TEST DOUBLE — CLI for the simulated SFTP batch core (a stand-in for a bank's batch system of record, for the demo
 * and for tests that want it as a separate process). Not production code.
 *
 *   node -r @swc-node/register tools/simulators/sftp-core/main.ts --root "$SFTP_ROOT" --destinations core-batch \
 *     --journal-file tmp/sftp-core.jsonl --faults 'soft_fail@0.05,partial_ingest:2*1' --seed 42
 *
 * Every flag has an environment twin (SFTP_CORE_ROOT, SFTP_CORE_DESTINATIONS, SFTP_CORE_POLL_INTERVAL_MS,
 * SFTP_CORE_JOURNAL_FILE, SFTP_CORE_FAULTS, SFTP_CORE_RECEIPT_DELAY_MS, SFTP_CORE_SEED); a flag wins. Without
 * either, the root falls back to the devstack's SFTP_ROOT.
 * Faults: `mode[:param]` (standing), `@rate`, `*count`, comma-separated; see faults.ts for the modes.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseFaultShorthand, seededRandom } from './faults';
import { startSftpCore } from './sftp-core.processor';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    destinations: { type: 'string' },
    'poll-interval-ms': { type: 'string' },
    'journal-file': { type: 'string' },
    faults: { type: 'string' },
    'receipt-delay-ms': { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(
    'usage: main.ts --root DIR [--destinations a,b] [--poll-interval-ms N] [--journal-file PATH]\n' +
      '               [--faults mode[:param][@rate|*count],...] [--receipt-delay-ms N] [--seed N]',
  );
  process.exit(0);
}

const env = process.env;
const config = z
  .object({
    root: z.string({ error: 'is required (--root, SFTP_CORE_ROOT or SFTP_ROOT)' }).min(1),
    destinations: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((d) => d.trim())
          .filter((d) => d.length > 0),
      )
      .optional(),
    pollIntervalMs: z.coerce.number().int().min(10).optional(),
    journalFile: z.string().min(1).optional(),
    faults: z.string().default(''),
    receiptDelayMs: z.coerce.number().int().min(0).optional(),
    seed: z.coerce.number().int().optional(),
  })
  .safeParse({
    root: values.root ?? env['SFTP_CORE_ROOT'] ?? env['SFTP_ROOT'],
    destinations: values.destinations ?? env['SFTP_CORE_DESTINATIONS'],
    pollIntervalMs: values['poll-interval-ms'] ?? env['SFTP_CORE_POLL_INTERVAL_MS'],
    journalFile: values['journal-file'] ?? env['SFTP_CORE_JOURNAL_FILE'],
    faults: values.faults ?? env['SFTP_CORE_FAULTS'],
    receiptDelayMs: values['receipt-delay-ms'] ?? env['SFTP_CORE_RECEIPT_DELAY_MS'],
    seed: values.seed ?? env['SFTP_CORE_SEED'],
  });

if (!config.success) {
  console.error(
    `sftp-core: invalid configuration: ${config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const c = config.data!;
  const core = await startSftpCore({
    root: c.root,
    ...(c.destinations ? { destinations: c.destinations } : {}),
    ...(c.pollIntervalMs !== undefined ? { pollIntervalMs: c.pollIntervalMs } : {}),
    ...(c.journalFile ? { journalFile: c.journalFile } : {}),
    faults: parseFaultShorthand(c.faults),
    ...(c.receiptDelayMs !== undefined ? { receiptDelayMs: c.receiptDelayMs } : {}),
    ...(c.seed !== undefined ? { random: seededRandom(c.seed) } : {}),
    log: (line) => console.log(`[sftp-core] ${line}`),
  });
  console.log(
    `[sftp-core] TEST DOUBLE processing ${c.root} (destinations: ${c.destinations?.join(', ') ?? 'every <root>/<name>/inbound'}; ` +
      `journal: ${c.journalFile ?? 'memory only'})`,
  );
  for (const rule of core.faults()) console.log(`[sftp-core] fault active: ${JSON.stringify(rule)}`);

  const stop = (signal: string): void => {
    console.log(`[sftp-core] ${signal}: closing`);
    core.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`[sftp-core] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

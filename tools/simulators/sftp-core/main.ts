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
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { parseFaultShorthand, seededRandom } from './faults';
import { startSftpCore } from './sftp-core.processor';

runSimulatorCli({
  name: 'sftp-core',
  flags: ['root', 'destinations', 'poll-interval-ms', 'journal-file', 'faults', 'receipt-delay-ms', 'seed'],
  usage:
    'usage: main.ts --root DIR [--destinations a,b] [--poll-interval-ms N] [--journal-file PATH]\n' +
    '               [--faults mode[:param][@rate|*count],...] [--receipt-delay-ms N] [--seed N]',
  schema: z.object({
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
  }),
  input: (flags, env) => ({
    root: flags['root'] ?? env['SFTP_CORE_ROOT'] ?? env['SFTP_ROOT'],
    destinations: flags['destinations'] ?? env['SFTP_CORE_DESTINATIONS'],
    pollIntervalMs: flags['poll-interval-ms'] ?? env['SFTP_CORE_POLL_INTERVAL_MS'],
    journalFile: flags['journal-file'] ?? env['SFTP_CORE_JOURNAL_FILE'],
    faults: flags['faults'] ?? env['SFTP_CORE_FAULTS'],
    receiptDelayMs: flags['receipt-delay-ms'] ?? env['SFTP_CORE_RECEIPT_DELAY_MS'],
    seed: flags['seed'] ?? env['SFTP_CORE_SEED'],
  }),
  start: (c, log) =>
    startSftpCore({
      root: c.root,
      ...(c.destinations ? { destinations: c.destinations } : {}),
      ...(c.pollIntervalMs !== undefined ? { pollIntervalMs: c.pollIntervalMs } : {}),
      ...(c.journalFile ? { journalFile: c.journalFile } : {}),
      faults: parseFaultShorthand(c.faults),
      ...(c.receiptDelayMs !== undefined ? { receiptDelayMs: c.receiptDelayMs } : {}),
      ...(c.seed !== undefined ? { random: seededRandom(c.seed) } : {}),
      log,
    }),
  banner: (_core, c) =>
    `TEST DOUBLE processing ${c.root} (destinations: ${c.destinations?.join(', ') ?? 'every <root>/<name>/inbound'}; ` +
    `journal: ${c.journalFile ?? 'memory only'})`,
});

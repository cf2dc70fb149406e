/**
 * TEST DOUBLE — CLI for the simulated REST core banking system (a stand-in for a bank's system of record, for the
 * demo and for tests that want it as a separate process). Not production code.
 *
 *   node -r @swc-node/register tools/simulators/rest-core/main.ts --port 8091 --journal-file tmp/rest-core.jsonl \
 *     --faults 'error_5xx@0.05,rate_limited@0.02'
 *
 * Every flag has an environment twin (REST_CORE_PORT, REST_CORE_HOST, REST_CORE_JOURNAL_FILE,
 * REST_CORE_API_VERSIONS, REST_CORE_FAULTS, REST_CORE_SLOW_COMMIT_MS, REST_CORE_RETRY_AFTER_SECONDS); a flag wins.
 * Faults: `mode` (standing), `mode@rate`, `mode*count`, comma-separated; see faults.ts for the modes.
 */
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { parseFaultShorthand } from './faults';
import { startRestCore } from './rest-core.server';

runSimulatorCli({
  name: 'rest-core',
  flags: ['port', 'host', 'journal-file', 'api-versions', 'faults', 'slow-commit-ms', 'retry-after-seconds'],
  usage:
    'usage: main.ts [--port N] [--host H] [--journal-file PATH] [--api-versions 2024-06-01,2025-01-15]\n' +
    '               [--faults mode[@rate|*count],...] [--slow-commit-ms N] [--retry-after-seconds N]',
  schema: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(8091),
    host: z.string().min(1).default('127.0.0.1'),
    journalFile: z.string().min(1).optional(),
    apiVersions: z
      .string()
      .transform((s) => s.split(',').map((v) => v.trim()))
      .optional(),
    faults: z.string().default(''),
    slowCommitMs: z.coerce.number().int().min(0).optional(),
    retryAfterSeconds: z.coerce.number().int().min(0).optional(),
  }),
  input: (flags, env) => ({
    port: flags['port'] ?? env['REST_CORE_PORT'],
    host: flags['host'] ?? env['REST_CORE_HOST'],
    journalFile: flags['journal-file'] ?? env['REST_CORE_JOURNAL_FILE'],
    apiVersions: flags['api-versions'] ?? env['REST_CORE_API_VERSIONS'],
    faults: flags['faults'] ?? env['REST_CORE_FAULTS'],
    slowCommitMs: flags['slow-commit-ms'] ?? env['REST_CORE_SLOW_COMMIT_MS'],
    retryAfterSeconds: flags['retry-after-seconds'] ?? env['REST_CORE_RETRY_AFTER_SECONDS'],
  }),
  start: (c, log) =>
    startRestCore({
      port: c.port,
      host: c.host,
      ...(c.journalFile ? { journalFile: c.journalFile } : {}),
      ...(c.apiVersions ? { acceptedApiVersions: c.apiVersions } : {}),
      faults: parseFaultShorthand(c.faults),
      ...(c.slowCommitMs !== undefined ? { slowCommitMs: c.slowCommitMs } : {}),
      ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
      log,
    }),
  banner: (core, c) => `TEST DOUBLE listening on ${core.url} (journal: ${c.journalFile ?? 'memory only'})`,
});

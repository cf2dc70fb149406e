/**
 * TEST DOUBLE — CLI for the simulated SOAP core banking system (a stand-in for a bank's legacy system of record,
 * for the demo and for tests that want it as a separate process). Not production code.
 *
 *   node -r @swc-node/register tools/simulators/soap-core/main.ts --port 8092 --journal-file tmp/soap-core.jsonl \
 *     --faults 'vendor_transient@0.05,throttled@0.02'
 *
 * Every flag has an environment twin (SOAP_CORE_PORT, SOAP_CORE_HOST, SOAP_CORE_JOURNAL_FILE, SOAP_CORE_FAULTS,
 * SOAP_CORE_SLOW_COMMIT_MS, SOAP_CORE_RETRY_AFTER_SECONDS); a flag wins.
 * Faults: `mode` (standing), `mode@rate`, `mode*count`, comma-separated; see faults.ts for the modes.
 */
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { parseFaultShorthand } from './faults';
import { startSoapCore } from './soap-core.server';

runSimulatorCli({
  name: 'soap-core',
  flags: ['port', 'host', 'journal-file', 'faults', 'slow-commit-ms', 'retry-after-seconds'],
  usage:
    'usage: main.ts [--port N] [--host H] [--journal-file PATH] [--faults mode[@rate|*count],...]\n' +
    '               [--slow-commit-ms N] [--retry-after-seconds N]',
  schema: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(8092),
    host: z.string().min(1).default('127.0.0.1'),
    journalFile: z.string().min(1).optional(),
    faults: z.string().default(''),
    slowCommitMs: z.coerce.number().int().min(0).optional(),
    retryAfterSeconds: z.coerce.number().int().min(0).optional(),
  }),
  input: (flags, env) => ({
    port: flags['port'] ?? env['SOAP_CORE_PORT'],
    host: flags['host'] ?? env['SOAP_CORE_HOST'],
    journalFile: flags['journal-file'] ?? env['SOAP_CORE_JOURNAL_FILE'],
    faults: flags['faults'] ?? env['SOAP_CORE_FAULTS'],
    slowCommitMs: flags['slow-commit-ms'] ?? env['SOAP_CORE_SLOW_COMMIT_MS'],
    retryAfterSeconds: flags['retry-after-seconds'] ?? env['SOAP_CORE_RETRY_AFTER_SECONDS'],
  }),
  start: (c, log) =>
    startSoapCore({
      port: c.port,
      host: c.host,
      ...(c.journalFile ? { journalFile: c.journalFile } : {}),
      faults: parseFaultShorthand(c.faults),
      ...(c.slowCommitMs !== undefined ? { slowCommitMs: c.slowCommitMs } : {}),
      ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
      log,
    }),
  banner: (core, c) =>
    `TEST DOUBLE listening: SOAP 1.1 ${core.url}, SOAP 1.2 ${core.soap12Url}, WSDL ${core.wsdlUrl} ` +
    `(journal: ${c.journalFile ?? 'memory only'})`,
});

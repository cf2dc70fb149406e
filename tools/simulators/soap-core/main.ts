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
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseFaultShorthand } from './faults';
import { startSoapCore } from './soap-core.server';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'journal-file': { type: 'string' },
    faults: { type: 'string' },
    'slow-commit-ms': { type: 'string' },
    'retry-after-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(
    'usage: main.ts [--port N] [--host H] [--journal-file PATH] [--faults mode[@rate|*count],...]\n' +
      '               [--slow-commit-ms N] [--retry-after-seconds N]',
  );
  process.exit(0);
}

const env = process.env;
const config = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(8092),
    host: z.string().min(1).default('127.0.0.1'),
    journalFile: z.string().min(1).optional(),
    faults: z.string().default(''),
    slowCommitMs: z.coerce.number().int().min(0).optional(),
    retryAfterSeconds: z.coerce.number().int().min(0).optional(),
  })
  .safeParse({
    port: values.port ?? env['SOAP_CORE_PORT'],
    host: values.host ?? env['SOAP_CORE_HOST'],
    journalFile: values['journal-file'] ?? env['SOAP_CORE_JOURNAL_FILE'],
    faults: values.faults ?? env['SOAP_CORE_FAULTS'],
    slowCommitMs: values['slow-commit-ms'] ?? env['SOAP_CORE_SLOW_COMMIT_MS'],
    retryAfterSeconds: values['retry-after-seconds'] ?? env['SOAP_CORE_RETRY_AFTER_SECONDS'],
  });

if (!config.success) {
  console.error(
    `soap-core: invalid configuration: ${config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const c = config.data!;
  const core = await startSoapCore({
    port: c.port,
    host: c.host,
    ...(c.journalFile ? { journalFile: c.journalFile } : {}),
    faults: parseFaultShorthand(c.faults),
    ...(c.slowCommitMs !== undefined ? { slowCommitMs: c.slowCommitMs } : {}),
    ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
    log: (line) => console.log(`[soap-core] ${line}`),
  });
  console.log(
    `[soap-core] TEST DOUBLE listening: SOAP 1.1 ${core.url}, SOAP 1.2 ${core.soap12Url}, WSDL ${core.wsdlUrl} ` +
      `(journal: ${c.journalFile ?? 'memory only'})`,
  );
  for (const rule of core.faults()) console.log(`[soap-core] fault active: ${JSON.stringify(rule)}`);

  const stop = (signal: string): void => {
    console.log(`[soap-core] ${signal}: closing`);
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
  console.error(`[soap-core] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

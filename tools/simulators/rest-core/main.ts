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
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseFaultShorthand } from './faults';
import { startRestCore } from './rest-core.server';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'journal-file': { type: 'string' },
    'api-versions': { type: 'string' },
    faults: { type: 'string' },
    'slow-commit-ms': { type: 'string' },
    'retry-after-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(
    'usage: main.ts [--port N] [--host H] [--journal-file PATH] [--api-versions 2024-06-01,2025-01-15]\n' +
      '               [--faults mode[@rate|*count],...] [--slow-commit-ms N] [--retry-after-seconds N]',
  );
  process.exit(0);
}

const env = process.env;
const config = z
  .object({
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
  })
  .safeParse({
    port: values.port ?? env['REST_CORE_PORT'],
    host: values.host ?? env['REST_CORE_HOST'],
    journalFile: values['journal-file'] ?? env['REST_CORE_JOURNAL_FILE'],
    apiVersions: values['api-versions'] ?? env['REST_CORE_API_VERSIONS'],
    faults: values.faults ?? env['REST_CORE_FAULTS'],
    slowCommitMs: values['slow-commit-ms'] ?? env['REST_CORE_SLOW_COMMIT_MS'],
    retryAfterSeconds: values['retry-after-seconds'] ?? env['REST_CORE_RETRY_AFTER_SECONDS'],
  });

if (!config.success) {
  console.error(
    `rest-core: invalid configuration: ${config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const c = config.data!;
  const core = await startRestCore({
    port: c.port,
    host: c.host,
    ...(c.journalFile ? { journalFile: c.journalFile } : {}),
    ...(c.apiVersions ? { acceptedApiVersions: c.apiVersions } : {}),
    faults: parseFaultShorthand(c.faults),
    ...(c.slowCommitMs !== undefined ? { slowCommitMs: c.slowCommitMs } : {}),
    ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
    log: (line) => console.log(`[rest-core] ${line}`),
  });
  console.log(
    `[rest-core] TEST DOUBLE listening on ${core.url} (journal: ${c.journalFile ?? 'memory only'})`,
  );
  for (const rule of core.faults()) console.log(`[rest-core] fault active: ${JSON.stringify(rule)}`);

  const stop = (signal: string): void => {
    console.log(`[rest-core] ${signal}: closing`);
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
  console.error(`[rest-core] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

/**
 * TEST DOUBLE — CLI for the simulated card processor (for the demo and for tests that want it as a separate
 * process). Not production code.
 *
 *   node -r @swc-node/register tools/simulators/card-processor/main.ts --port 8097 \
 *     --api-key devstack-card-processor-key --return-origins http://127.0.0.1:3004 --latency-ms 0
 *
 * Every flag has an environment twin (CARD_PROCESSOR_PORT, CARD_PROCESSOR_HOST, CARD_PROCESSOR_API_KEY,
 * CARD_PROCESSOR_RETURN_ORIGINS, CARD_PROCESSOR_LATENCY_MS); a flag wins. A card number ending 0002 is always
 * declined on the page.
 */
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { startCardProcessor } from './card-processor.server';

runSimulatorCli({
  name: 'card-processor',
  flags: ['port', 'host', 'api-key', 'return-origins', 'latency-ms'],
  usage: 'usage: main.ts [--port N] [--host H] [--api-key KEY] [--return-origins URL,…] [--latency-ms N]',
  schema: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(8097),
    host: z.string().min(1).default('127.0.0.1'),
    apiKey: z.string().min(16, 'must be at least 16 characters').default('devstack-card-processor-key'),
    returnOrigins: z
      .string()
      .default('http://127.0.0.1:3004')
      .transform((s) =>
        s
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v.length > 0),
      )
      .pipe(z.array(z.url()).min(1, 'must name at least one origin')),
    latencyMs: z.coerce.number().int().min(0).max(60_000).default(0),
  }),
  input: (flags, env) => ({
    port: flags['port'] ?? env['CARD_PROCESSOR_PORT'],
    host: flags['host'] ?? env['CARD_PROCESSOR_HOST'],
    apiKey: flags['api-key'] ?? env['CARD_PROCESSOR_API_KEY'],
    returnOrigins: flags['return-origins'] ?? env['CARD_PROCESSOR_RETURN_ORIGINS'],
    latencyMs: flags['latency-ms'] ?? env['CARD_PROCESSOR_LATENCY_MS'],
  }),
  start: (c, log) =>
    startCardProcessor({
      port: c.port,
      host: c.host,
      apiKey: c.apiKey,
      returnOrigins: c.returnOrigins,
      latencyMs: c.latencyMs,
      log,
    }),
  banner: (core, c) => `TEST DOUBLE listening on ${core.url} (return origins: ${c.returnOrigins.join(', ')})`,
});

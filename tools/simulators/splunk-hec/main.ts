/**
 * TEST DOUBLE — CLI for the simulated Splunk HTTP Event Collector. Not production code.
 *
 *   node -r @swc-node/register tools/simulators/splunk-hec/main.ts --port 8088 --tokens TOKEN \
 *     --faults 'busy@0.05,acks_stay_false*3,down:60000*1' --ack-delay-ms 20
 *
 * Every flag has an environment twin (SPLUNK_HEC_PORT, SPLUNK_HEC_HOST, SPLUNK_HEC_TOKENS, SPLUNK_HEC_FAULTS,
 * SPLUNK_HEC_ACK_DELAY_MS); a flag wins. Faults: `mode`, `mode@rate`, `mode*count`, `down:<ms>`; see faults.ts.
 */
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { parseFaultShorthand } from './faults';
import { startSplunkHec } from './splunk-hec.server';

runSimulatorCli({
  name: 'splunk-hec',
  flags: ['port', 'host', 'tokens', 'faults', 'ack-delay-ms'],
  usage:
    'usage: main.ts [--port N] [--host H] [--tokens T1,T2] [--faults mode[:ms][@rate|*count],...] [--ack-delay-ms N]',
  schema: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(8088),
    host: z.string().min(1).default('127.0.0.1'),
    tokens: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== ''),
      )
      .pipe(z.array(z.string().min(1)).min(1, 'must list at least one token'))
      .default(['00000000-0000-0000-0000-000000000000']),
    faults: z.string().default(''),
    ackDelayMs: z.coerce.number().int().min(0).max(600_000).default(20),
  }),
  input: (flags, env) => ({
    port: flags['port'] ?? env['SPLUNK_HEC_PORT'],
    host: flags['host'] ?? env['SPLUNK_HEC_HOST'],
    tokens: flags['tokens'] ?? env['SPLUNK_HEC_TOKENS'],
    faults: flags['faults'] ?? env['SPLUNK_HEC_FAULTS'],
    ackDelayMs: flags['ack-delay-ms'] ?? env['SPLUNK_HEC_ACK_DELAY_MS'],
  }),
  start: (c, log) =>
    startSplunkHec({
      port: c.port,
      host: c.host,
      tokens: c.tokens,
      faults: parseFaultShorthand(c.faults),
      ackDelayMs: c.ackDelayMs,
      log,
    }),
  banner: (core) =>
    `TEST DOUBLE listening on ${core.url} (HEC with indexer acknowledgement; index in memory)`,
});

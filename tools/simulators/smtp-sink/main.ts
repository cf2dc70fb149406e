/**
 * TEST DOUBLE — CLI for the local SMTP server (the devstack runs it; tests may start it as a process too). Not
 * production code.
 *
 *   node -r @swc-node/register tools/simulators/smtp-sink/main.ts --smtp-port 2525 --api-port 8025 \
 *     --data-dir .devstack/smtp-sink/messages --faults 'temp_fail@0.05'
 *
 * Every flag has an environment twin (SMTP_SINK_HOST, SMTP_SINK_SMTP_PORT, SMTP_SINK_API_PORT, SMTP_SINK_DATA_DIR,
 * SMTP_SINK_MAX_MESSAGE_BYTES, SMTP_SINK_FAULTS, SMTP_SINK_AUTH_USERNAME, SMTP_SINK_AUTH_PASSWORD_FILE); a flag wins.
 * Faults: `mode` (standing), `mode@rate`, `mode*count`, comma-separated; see faults.ts for the modes.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { parseFaultShorthand } from './faults';
import { DEFAULT_MAX_MESSAGE_BYTES, startSmtpSink } from './smtp-sink.server';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

runSimulatorCli({
  name: 'smtp-sink',
  flags: [
    'host',
    'smtp-port',
    'api-port',
    'data-dir',
    'max-message-bytes',
    'faults',
    'auth-username',
    'auth-password-file',
  ],
  usage:
    'usage: main.ts --data-dir DIR [--host H] [--smtp-port N] [--api-port N] [--max-message-bytes N]\n' +
    '               [--faults mode[@rate|*count],...] [--auth-username U --auth-password-file PATH]',
  schema: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      smtpPort: port(2525),
      apiPort: port(8025),
      dataDir: z.string({ error: 'is required' }).min(1, 'is required'),
      maxMessageBytes: z.coerce.number().int().min(1024).default(DEFAULT_MAX_MESSAGE_BYTES),
      faults: z.string().default(''),
      authUsername: z.string().min(1).optional(),
      authPasswordFile: z.string().min(1).optional(),
    })
    .refine((c) => (c.authUsername === undefined) === (c.authPasswordFile === undefined), {
      path: ['authPasswordFile'],
      message: 'give both auth-username and auth-password-file, or neither',
    }),
  input: (flags, env) => ({
    host: flags['host'] ?? env['SMTP_SINK_HOST'],
    smtpPort: flags['smtp-port'] ?? env['SMTP_SINK_SMTP_PORT'],
    apiPort: flags['api-port'] ?? env['SMTP_SINK_API_PORT'],
    dataDir: flags['data-dir'] ?? env['SMTP_SINK_DATA_DIR'],
    maxMessageBytes: flags['max-message-bytes'] ?? env['SMTP_SINK_MAX_MESSAGE_BYTES'],
    faults: flags['faults'] ?? env['SMTP_SINK_FAULTS'],
    authUsername: flags['auth-username'] ?? env['SMTP_SINK_AUTH_USERNAME'],
    authPasswordFile: flags['auth-password-file'] ?? env['SMTP_SINK_AUTH_PASSWORD_FILE'],
  }),
  start: (c, log) =>
    startSmtpSink({
      host: c.host,
      smtpPort: c.smtpPort,
      apiPort: c.apiPort,
      dataDir: c.dataDir,
      maxMessageBytes: c.maxMessageBytes,
      faults: parseFaultShorthand(c.faults),
      ...(c.authUsername && c.authPasswordFile
        ? { auth: { username: c.authUsername, password: readFileSync(c.authPasswordFile, 'utf8').trim() } }
        : {}),
      log,
    }),
  banner: (sink, c) =>
    `TEST DOUBLE: SMTP on ${sink.host}:${sink.smtpPort}${c.authUsername ? ' (AUTH required)' : ''}, ` +
    `read API on ${sink.apiUrl}, messages in ${c.dataDir} (limit ${c.maxMessageBytes} bytes)`,
});

/**
 * TEST DOUBLE — CLI for the simulated WhatsApp Cloud API (for the demo and for tests that want it as a separate
 * process). Not production code.
 *
 *   node -r @swc-node/register tools/simulators/whatsapp-provider/main.ts --port 8096 \
 *     --webhook-url http://127.0.0.1:3000/webhooks/whatsapp --journal-file tmp/whatsapp-provider.jsonl \
 *     --faults 'rate_limited@0.05'
 *
 * Every flag has an environment twin (WHATSAPP_PROVIDER_PORT, _HOST, _ACCESS_TOKEN, _APP_SECRET,
 * _PHONE_NUMBER_ID, _WEBHOOK_URL, _JOURNAL_FILE, _TEMPLATES, _WINDOW_ENFORCEMENT, _UNDELIVERABLE_NUMBERS, _FAULTS,
 * _STATUS_STEP_MS, _RETRY_AFTER_SECONDS, each prefixed WHATSAPP_PROVIDER); a flag wins.
 */
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { parseFaultShorthand } from './faults';
import { startWhatsAppProvider } from './whatsapp-provider.server';

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0),
);

const FLAGS = [
  'port',
  'host',
  'access-token',
  'app-secret',
  'phone-number-id',
  'webhook-url',
  'journal-file',
  'templates',
  'window-enforcement',
  'undeliverable-numbers',
  'faults',
  'status-step-ms',
  'retry-after-seconds',
] as const;

const envName = (flag: string): string => `WHATSAPP_PROVIDER_${flag.toUpperCase().replaceAll('-', '_')}`;
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

runSimulatorCli({
  name: 'whatsapp-provider',
  flags: FLAGS,
  usage:
    'usage: main.ts [--port N] [--host H] [--access-token T] [--app-secret S] [--phone-number-id ID]\n' +
    '               [--webhook-url URL] [--journal-file PATH] [--templates name,…] [--window-enforcement refuse|failed_status]\n' +
    '               [--undeliverable-numbers digits,…] [--faults mode[@rate|*count],...] [--status-step-ms N]\n' +
    '               [--retry-after-seconds N]',
  schema: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(8096),
    host: z.string().min(1).default('127.0.0.1'),
    accessToken: z.string().min(1).default('devstack-whatsapp-access-token'),
    appSecret: z.string().min(1).default('devstack-whatsapp-app-secret'),
    phoneNumberId: z.string().regex(/^\d+$/, 'must be digits').default('106540352242922'),
    webhookUrl: z.url().optional(),
    journalFile: z.string().min(1).optional(),
    templates: list.optional(),
    windowEnforcement: z.enum(['refuse', 'failed_status']).default('refuse'),
    undeliverableNumbers: list.default([]),
    faults: z.string().default(''),
    statusStepMs: z.coerce.number().int().min(0).optional(),
    retryAfterSeconds: z.coerce.number().int().min(0).optional(),
  }),
  input: (flags, env) => Object.fromEntries(FLAGS.map((f) => [camel(f), flags[f] ?? env[envName(f)]])),
  start: (c, log) =>
    startWhatsAppProvider({
      port: c.port,
      host: c.host,
      accessToken: c.accessToken,
      appSecret: c.appSecret,
      phoneNumberId: c.phoneNumberId,
      ...(c.webhookUrl ? { webhookUrl: c.webhookUrl } : {}),
      ...(c.journalFile ? { journalFile: c.journalFile } : {}),
      ...(c.templates ? { templates: c.templates } : {}),
      windowEnforcement: c.windowEnforcement,
      undeliverableNumbers: c.undeliverableNumbers,
      faults: parseFaultShorthand(c.faults),
      ...(c.statusStepMs !== undefined ? { statusStepMs: c.statusStepMs } : {}),
      ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
      log,
    }),
  banner: (core, c) =>
    `TEST DOUBLE listening on ${core.url} (phone number id ${c.phoneNumberId}; journal: ${c.journalFile ?? 'memory only'})`,
});

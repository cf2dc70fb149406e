/**
 * TEST DOUBLE — CLI for the simulated Twilio-compatible SMS provider (for the demo and for tests that want it as a
 * separate process). Not production code.
 *
 *   node -r @swc-node/register tools/simulators/sms-provider/main.ts --port 8095 --numbers +15005550006 \
 *     --inbound-webhook-url http://127.0.0.1:3000/webhooks/sms --journal-file tmp/sms-provider.jsonl \
 *     --faults 'rate_limited@0.05,customer_reply*1' --keyword-opt-out false
 *
 * Every flag has an environment twin (SMS_PROVIDER_PORT, SMS_PROVIDER_HOST, SMS_PROVIDER_ACCOUNT_SID,
 * SMS_PROVIDER_AUTH_TOKEN, SMS_PROVIDER_NUMBERS, SMS_PROVIDER_INBOUND_WEBHOOK_URL, SMS_PROVIDER_JOURNAL_FILE,
 * SMS_PROVIDER_UNDELIVERABLE_NUMBERS, SMS_PROVIDER_FAULTS, SMS_PROVIDER_STATUS_STEP_MS,
 * SMS_PROVIDER_RETRY_AFTER_SECONDS, SMS_PROVIDER_KEYWORD_OPT_OUT); a flag wins. Faults: `mode`, `mode@rate`,
 * `mode*count`; see faults.ts. `--keyword-opt-out false`: opt-out keywords do not unsubscribe the sender (an account
 * whose application answers opt-outs itself).
 */
import { z } from 'zod';
import { runSimulatorCli } from '@closeout/simulators/shared';
import { parseFaultShorthand } from './faults';
import { startSmsProvider } from './sms-provider.server';

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0),
);

runSimulatorCli({
  name: 'sms-provider',
  flags: [
    'port',
    'host',
    'account-sid',
    'auth-token',
    'numbers',
    'inbound-webhook-url',
    'journal-file',
    'undeliverable-numbers',
    'faults',
    'status-step-ms',
    'retry-after-seconds',
    'keyword-opt-out',
  ],
  usage:
    'usage: main.ts [--port N] [--host H] [--account-sid AC…] [--auth-token T] [--numbers +E164,…]\n' +
    '               [--inbound-webhook-url URL] [--journal-file PATH] [--undeliverable-numbers +E164,…]\n' +
    '               [--faults mode[@rate|*count],...] [--status-step-ms N] [--retry-after-seconds N]\n' +
    '               [--keyword-opt-out true|false]',
  schema: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(8095),
    host: z.string().min(1).default('127.0.0.1'),
    accountSid: z
      .string()
      .regex(/^AC[0-9a-f]{32}$/, 'must be AC followed by 32 hex digits')
      .default('AC00000000000000000000000000000000'),
    authToken: z.string().min(1).default('devstack-twilio-auth-token'),
    numbers: list.default(['+15005550006']),
    inboundWebhookUrl: z.url().optional(),
    journalFile: z.string().min(1).optional(),
    undeliverableNumbers: list.default([]),
    faults: z.string().default(''),
    statusStepMs: z.coerce.number().int().min(0).optional(),
    retryAfterSeconds: z.coerce.number().int().min(0).optional(),
    keywordOptOut: z.enum(['true', 'false'], 'must be true or false').default('true'),
  }),
  input: (flags, env) => ({
    port: flags['port'] ?? env['SMS_PROVIDER_PORT'],
    host: flags['host'] ?? env['SMS_PROVIDER_HOST'],
    accountSid: flags['account-sid'] ?? env['SMS_PROVIDER_ACCOUNT_SID'],
    authToken: flags['auth-token'] ?? env['SMS_PROVIDER_AUTH_TOKEN'],
    numbers: flags['numbers'] ?? env['SMS_PROVIDER_NUMBERS'],
    inboundWebhookUrl: flags['inbound-webhook-url'] ?? env['SMS_PROVIDER_INBOUND_WEBHOOK_URL'],
    journalFile: flags['journal-file'] ?? env['SMS_PROVIDER_JOURNAL_FILE'],
    undeliverableNumbers: flags['undeliverable-numbers'] ?? env['SMS_PROVIDER_UNDELIVERABLE_NUMBERS'],
    faults: flags['faults'] ?? env['SMS_PROVIDER_FAULTS'],
    statusStepMs: flags['status-step-ms'] ?? env['SMS_PROVIDER_STATUS_STEP_MS'],
    retryAfterSeconds: flags['retry-after-seconds'] ?? env['SMS_PROVIDER_RETRY_AFTER_SECONDS'],
    keywordOptOut: flags['keyword-opt-out'] ?? env['SMS_PROVIDER_KEYWORD_OPT_OUT'],
  }),
  start: (c, log) =>
    startSmsProvider({
      port: c.port,
      host: c.host,
      account: { accountSid: c.accountSid, authToken: c.authToken, numbers: c.numbers },
      ...(c.inboundWebhookUrl ? { inboundWebhookUrl: c.inboundWebhookUrl } : {}),
      ...(c.journalFile ? { journalFile: c.journalFile } : {}),
      undeliverableNumbers: c.undeliverableNumbers,
      faults: parseFaultShorthand(c.faults),
      ...(c.statusStepMs !== undefined ? { statusStepMs: c.statusStepMs } : {}),
      ...(c.retryAfterSeconds !== undefined ? { retryAfterSeconds: c.retryAfterSeconds } : {}),
      keywordOptOut: c.keywordOptOut === 'true',
      log,
    }),
  banner: (core, c) =>
    `TEST DOUBLE listening on ${core.url} (account ${c.accountSid}; journal: ${c.journalFile ?? 'memory only'})`,
});

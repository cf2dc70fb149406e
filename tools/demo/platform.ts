/**
 * Bringing up the main job's platform: the devstack, the seed workflows with a demo cadence, the simulated cores
 * (test doubles of the bank's REST, SOAP and SFTP systems of record, with faults injected), the simulated messaging
 * providers (a Twilio-compatible SMS API and the WhatsApp Cloud API; email goes to the devstack's SMTP sink), the
 * simulated card processor (in this process, on its own origin) and the nine services, each started with only its
 * own settings — the mini-app among them, answering the links in messages. The secrets between services (the
 * mini-app's tokens at the orchestrator and at messaging, its one-time-code and processor-state keys, the
 * processor's API key) are generated per run and never printed. The audit-exporter keeps the run's trail in a store
 * of its own, signed with a key made for the run, and exports it to a simulated Splunk HEC (in this process) and the
 * devstack's rsyslog over TLS (audit-trail.ts). Services, cores and providers already running are
 * kept; a service running with other settings than this run's is restarted with them.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Topics } from '@closeout/contracts';
import { positionGroupsAtEnd, kafkaConnectionFromEnv } from '@closeout/kafka';
import { ensurePlatformBuild } from '../build/platform-build';
import { startCardProcessor, type CardProcessor } from '../simulators/card-processor';
import { writeDefinitions } from '../e2e/case-stack';
import { auditExporterEnv, prepareAuditRun, type AuditRun } from './audit-trail';
import { say } from './clock';
import {
  restCoreDestination,
  retryPolicy,
  sftpCoreDestination,
  sftpLogin,
  soapCoreDestination,
} from './core-destinations';
import { demoSigningEnv } from './request-signing';
import {
  consoleSecrets,
  consoleTokenEntry,
  operationsServiceEnv,
  startConsole,
  type ConsoleSecrets,
} from './operations';
import {
  devstackCommand,
  devstackEnv,
  logFile,
  platformServices,
  repoRoot,
  runningPid,
  services,
  startProcess,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from './services';

export const INGEST_TOKEN = 'demo-upstream-token-0123456789';
export const AGENT_TOKEN = 'demo-agent-token-0123456789';
export const RECONCILER_TOKEN = 'demo-operator-token-0123456789';
const CORE_TOKEN = 'demo-core-token-0123456789';
const REST_CORE_PORT = 8091;
const SOAP_CORE_PORT = 8092;
const SMS_PROVIDER_PORT = 8095;
const WHATSAPP_PROVIDER_PORT = 8096;
const CARD_PROCESSOR_PORT = 8097;

/** The simulated SMS provider's account (a test double's credentials) and the number messages are sent from. */
export const SMS_ACCOUNT = {
  accountSid: 'AC0c105e0de70000000000000000000001',
  authToken: 'demo-twilio-auth-token-0123456789',
  from: '+15005550006',
};
const WHATSAPP_ACCOUNT = {
  accessToken: 'demo-whatsapp-access-token-0123456789',
  appSecret: 'demo-whatsapp-app-secret-0123456789',
  phoneNumberId: '106540352242922',
};
/** The address the job's messaging sends email from (the sink is shared with tests: this tells its mail apart). */
export const SMTP_FROM_ADDRESS = 'no-reply@main-job.closeout.example';
export const smsProviderUrl = `http://127.0.0.1:${SMS_PROVIDER_PORT}`;
export const whatsappProviderUrl = `http://127.0.0.1:${WHATSAPP_PROVIDER_PORT}`;
/**
 * The providers' journals (what each customer's handset received) live beside the SMTP sink's mailbox, outside
 * `.devstack/services`: like the mailbox they are the outside world's records of contact points, not Closeout's.
 */
export const providerJournal = (name: string): string =>
  join(repoRoot, '.devstack', 'messaging-providers', `${name}.journal.jsonl`);

export const port = (name: string): number => services.find((s) => s.name === name)!.port;
export const ingestUrl = `http://127.0.0.1:${port('trigger-ingest')}/v1/triggers`;
export const orchestratorUrl = `http://127.0.0.1:${port('orchestrator')}`;
export const reconcilerUrl = `http://127.0.0.1:${port('reconciler')}`;
/**
 * Where customers reach the mini-app: the links messaging puts in messages start with it (MINIAPP_BASE_URL) and the
 * mini-app answers them (MINIAPP_PUBLIC_BASE_URL). Plain HTTP on loopback, as the mini-app's config allows there.
 */
export const MINIAPP_BASE_URL = `http://127.0.0.1:${port('mini-app-backend')}`;
/** The simulated card processor's origin (another port: another origin than the mini-app's). */
export const cardProcessorUrl = `http://127.0.0.1:${CARD_PROCESSOR_PORT}`;
/** Where the providers call messaging's webhooks (the URL they sign). */
const messagingUrl = `http://127.0.0.1:${port('messaging')}`;

// Faults at each core: transient errors, resets, commits whose answer never comes (unknown outcomes), throttling,
// server-side retries, late receipts and rejected batches.
const REST_FAULTS =
  'error_5xx@0.05,connection_reset@0.02,commit_then_timeout@0.02,slow_commit@0.01,rate_limited@0.02';
const SOAP_FAULTS = 'vendor_transient@0.05,vendor_ambiguous@0.02,throttled@0.02,server_retry@0.03';
const SFTP_FAULTS = 'delay_receipt@0.1,checksum_mismatch@0.03';

/** The running platform: the devstack's environment, every service's settings and the in-process card processor. */
export interface Platform {
  env: Record<string, string>;
  serviceEnv: Record<string, string>;
  cardProcessor: CardProcessor;
  /** The run's audit store, key and tokens, and the simulated HEC (in this process). */
  audit: AuditRun;
  /** The ops console's tokens and the demo operator's password, made for the run. */
  console: ConsoleSecrets;
}

/** The run's secrets between services: random per run, handed to the services that need them, never printed. */
interface RunSecrets {
  miniappOrchestratorToken: string;
  miniappMessagingToken: string;
  otpKey: string;
  processorStateKey: string;
  cardProcessorApiKey: string;
}

const secret = (): string => randomBytes(32).toString('base64url');

/** Devstack, seed workflows, simulated cores, then the nine services one after another, each until ready. */
export async function bringUpPlatform(run: string): Promise<Platform> {
  say('starting tools/devstack (Kafka, Apicurio Registry, PostgreSQL, sshd)');
  execFileSync(devstackCommand, ['up'], { stdio: 'inherit' });
  const env = devstackEnv();
  // The seed workflows with a demo cadence: reminders after seconds instead of days, so the run shows them. A
  // reminder's link supersedes the message's before it: the customers, who read for a few seconds and then go through
  // the mini-app's pages, get 15 s per message. The cases expire 75 s after the request: messaging works a thousand
  // triggers off in about a minute on a small machine.
  const workflowsDir = writeDefinitions(join(repoRoot, '.devstack', 'demo', 'workflows'), {
    reminders: ['PT15S', 'PT30S'],
    expiry: 'PT75S',
    writebackLatencyCeiling: 'PT90S',
  });
  say(`seed workflows with a demo cadence (reminders 15 s / 30 s, expiry 75 s) in ${workflowsDir}`);
  startCores(env);
  startMessagingProviders();
  await untilUp(`http://127.0.0.1:${SOAP_CORE_PORT}/health`, 30_000);
  await untilUp(`${smsProviderUrl}/health`, 30_000);
  await untilUp(`${whatsappProviderUrl}/health`, 30_000);
  const secrets: RunSecrets = {
    miniappOrchestratorToken: secret(),
    miniappMessagingToken: secret(),
    otpKey: secret(),
    processorStateKey: secret(),
    cardProcessorApiKey: secret(),
  };
  // The processor sends customers back to the mini-app only (its allowed return origin).
  const cardProcessor = await startCardProcessor({
    port: CARD_PROCESSOR_PORT,
    host: '127.0.0.1',
    apiKey: secrets.cardProcessorApiKey,
    returnOrigins: [MINIAPP_BASE_URL],
  });
  say(`simulated card processor (tokenizing test double, hosted card page) on ${cardProcessor.url}`);

  const audit = await prepareAuditRun(run, env);
  say(
    `audit trail: store ${audit.schema}, checkpoints signed with key ${audit.keyId} (made for the run); ` +
      `simulated Splunk HEC (acks on) on ${audit.hec.url}; rsyslog over TLS on ${env['AUDIT_SYSLOG_HOST']}:${env['AUDIT_SYSLOG_PORT']}`,
  );
  const consoleCredentials = consoleSecrets();
  const exporterEnv = auditExporterEnv(audit, env);
  const platform = {
    env,
    serviceEnv: {
      ...serviceEnv(env, workflowsDir, secrets, consoleCredentials),
      ...operationsServiceEnv(env),
      ...exporterEnv,
      AUDIT_API_TOKENS: `${exporterEnv['AUDIT_API_TOKENS']},${consoleTokenEntry(consoleCredentials.auditToken)}`,
    },
    cardProcessor,
    audit,
    console: consoleCredentials,
  };
  // The definitions are settings too (the orchestrator reads them at boot).
  const definitions = readdirSync(workflowsDir)
    .sort()
    .map((f) => readFileSync(join(workflowsDir, f), 'utf8'))
    .join('\n');
  // The nine services here, started together; the console (no Kafka, no database) after them, on settings of its own.
  const toStart: Array<{
    s: (typeof platformServices)[number];
    settings: Record<string, string>;
    fingerprint: string;
  }> = [];
  for (const s of platformServices) {
    const settings = envFor(s.name, platform.serviceEnv);
    const fingerprint = settingsFingerprint({ ...settings, '(workflow definitions)': definitions });
    if (runningPid(s.name) !== undefined && startedWith(s.name) !== fingerprint) {
      say(`${s.name} is running with other settings than this run's: restarting it`);
      stopService(s.name);
      if (!(await waitForExit(s.name, 15_000))) stopService(s.name, 'SIGKILL');
      await waitForExit(s.name, 5_000);
    }
    if (runningPid(s.name) !== undefined) say(`${s.name} already running`);
    else toStart.push({ s, settings, fingerprint });
  }
  // The stopped services' consumer groups start at the topics' current end: traffic that tests and benchmarks left
  // on this devstack since the last run is not this run's to work. One admin session for all of them.
  await positionGroupsAtEnd(
    kafkaConnectionFromEnv(env),
    toStart.flatMap(({ s }) => consumerGroupsOf(s.name).map(([groupId, topic]) => ({ groupId, topic }))),
  );
  if (toStart.length > 0) {
    const build = ensurePlatformBuild(repoRoot);
    say(
      `the services run ${build.built ? `JavaScript just built from ${build.files} files in ${build.ms} ms` : 'the JavaScript built before from these sources'} (${relative(repoRoot, build.dir)})`,
    );
  }
  for (const { s, settings, fingerprint } of toStart) {
    startService(s.name, s.port, settings);
    writeFileSync(fingerprintFile(s.name), fingerprint);
    say(`${s.name} starting on :${s.port} (log ${logFile(s.name)})`);
  }
  // All nine boot at once: a boot is a few seconds of CPU and longer waits (the broker's group joins, the registry,
  // migrations), so together they are ready in about the time of the slowest rather than the sum of all.
  const booting = Date.now();
  await Promise.all(platformServices.map((s) => waitUntilReady(s.name, s.port, 180_000)));
  say(
    `the nine services are ready (${((Date.now() - booting) / 1000).toFixed(1)} s after the last was started)`,
  );
  await startConsole(env, consoleCredentials, {
    orchestrator: orchestratorUrl,
    reconciler: reconcilerUrl,
    audit: `http://127.0.0.1:${port('audit-exporter')}`,
  });
  return platform;
}

/** The table of services (the console among them), their ports and readiness checks. */
export async function printReadiness(): Promise<void> {
  console.log('\nservice            port  ready  checks');
  for (const s of services) {
    const r = await waitUntilReady(s.name, s.port, 10_000);
    const checks = Object.entries(r.checks ?? {})
      .map(([k, v]) => `${k}:${v.ok ? 'ok' : 'DOWN'}`)
      .join(' ');
    console.log(`${s.name.padEnd(18)} ${String(s.port).padEnd(5)} ${r.ready ? 'yes' : 'NO '}    ${checks}`);
  }
  console.log('');
}

/** SIGKILL (no drain, leases left behind), then a restart after 3 s, reported when the service is ready again. */
export async function killAndRestartLater(platform: Platform, name: string): Promise<void> {
  stopService(name, 'SIGKILL');
  await waitForExit(name, 10_000);
  setTimeout(() => {
    startService(name, port(name), envFor(name, platform.serviceEnv));
    waitUntilReady(name, port(name), 120_000).then(
      () =>
        say(`${name} is back: it resolves what it left in flight by lookup before sending anything again`),
      (err: unknown) => say(`${name} did not come back: ${String(err)}`),
    );
  }, 3_000);
}

/**
 * Which services a variable belongs to: each service is started with its own tokens, destinations and keys only
 * (an ingest token, a core's credentials or the SFTP key in every process would be one more place to leak them).
 */
const OWNERS: Array<[RegExp, readonly string[]]> = [
  [/^INGEST_/, ['trigger-ingest']],
  // The mini-app's view of the orchestrator and messaging (their URLs) and its own settings and secrets.
  [/^(ORCHESTRATOR_URL|MESSAGING_INTERNAL_URL|CARD_PROCESSOR_.*|CLAMAV_.*)$/, ['mini-app-backend']],
  // The links messaging mints point at the mini-app.
  [/^MINIAPP_BASE_URL$/, ['messaging']],
  [/^MINIAPP_/, ['mini-app-backend']],
  [/^ORCHESTRATOR_/, ['orchestrator']],
  [/^RECONCILER_/, ['reconciler']],
  [/^WRITEBACK_REST_/, ['writeback-rest']],
  [/^WRITEBACK_SOAP_/, ['writeback-soap']],
  [/^WRITEBACK_SFTP_/, ['writeback-sftp']],
  [/^SFTP_/, ['writeback-sftp', 'reconciler']],
  // The workflow definitions: the orchestrator's alone (the reconciler no longer reads them).
  [/^WORKFLOW_/, ['orchestrator']],
  [/^(MESSAGING|TWILIO|WHATSAPP|SMTP)_/, ['messaging']],
  // The audit store's key and tokens, the SIEM sinks (and rsyslog's output file, which the job reads itself).
  [/^AUDIT_/, ['audit-exporter']],
];

/** A digest of a service's settings, kept beside its pid file: a service started with other settings is restarted. */
function settingsFingerprint(settings: Record<string, string>): string {
  const sorted = Object.keys(settings)
    .sort()
    .map((k) => [k, settings[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

const fingerprintFile = (name: string): string =>
  join(repoRoot, '.devstack', 'services', `${name}.settings-sha256`);

function startedWith(name: string): string | undefined {
  return existsSync(fingerprintFile(name)) ? readFileSync(fingerprintFile(name), 'utf8') : undefined;
}

function ownedBy(service: string, env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => {
      const owner = OWNERS.find(([pattern]) => pattern.test(name));
      return !owner || owner[1].includes(service);
    }),
  );
}

/** One service's environment: the variables it owns, its signing key, and a writeback service's retry policy. */
function envFor(service: string, all: Record<string, string>): Record<string, string> {
  const shared = ownedBy(service, all);
  const destination = {
    'writeback-rest': 'core-banking-rest',
    'writeback-soap': 'core-banking-soap',
    'writeback-sftp': 'core-banking-sftp',
  }[service];
  // The orchestrator's signing key, the writeback services' public key: each its own.
  if (!destination) return { ...shared, ...demoSigningEnv(service) };
  return {
    ...shared,
    ...demoSigningEnv(service),
    WRITEBACK_RETRY_POLICY: retryPolicy(destination, {
      baseDelayMs: 200,
      maxDelayMs: 3_000,
      maxAttempts: 12,
      circuitOpenWaitMs: 2_000,
      unknownResolveDelayMs: 1_500,
    }),
  };
}

function serviceEnv(
  env: Record<string, string>,
  workflowsDir: string,
  secrets: RunSecrets,
  consoleCreds: ConsoleSecrets,
): Record<string, string> {
  const soapCore = `http://127.0.0.1:${SOAP_CORE_PORT}`;
  const sftpDir = `${env['SFTP_REMOTE_ROOT']}/core-banking-sftp`;
  return {
    ...env,
    LOG_LEVEL: 'info',
    INGEST_API_TOKENS: `core-billing=${INGEST_TOKEN}`,
    ORCHESTRATOR_API_TOKENS: `demo-agent=${AGENT_TOKEN},mini-app=${secrets.miniappOrchestratorToken},${consoleTokenEntry(consoleCreds.orchestratorToken)}`,
    RECONCILER_API_TOKENS: `demo-operator=${RECONCILER_TOKEN},${consoleTokenEntry(consoleCreds.reconcilerToken)}`,
    // The mini-app: where customers reach it, the orchestrator's eligible actions and messaging's internal API (one-
    // time codes, opt-outs) with its own tokens, its keys, the card processor and the devstack's clamd (CLAMAV_HOST/
    // PORT from the devstack's environment). Every simulated customer comes from 127.0.0.1: the per-IP limit is
    // lifted (the per-link and per-customer limits stay as they are by default).
    MINIAPP_PUBLIC_BASE_URL: MINIAPP_BASE_URL,
    ORCHESTRATOR_URL: orchestratorUrl,
    MINIAPP_ORCHESTRATOR_TOKEN: secrets.miniappOrchestratorToken,
    MESSAGING_INTERNAL_URL: messagingUrl,
    MINIAPP_MESSAGING_TOKEN: secrets.miniappMessagingToken,
    MINIAPP_OTP_KEY: secrets.otpKey,
    MINIAPP_PROCESSOR_STATE_KEY: secrets.processorStateKey,
    MINIAPP_RATE_LIMIT_PER_IP: '100000',
    CARD_PROCESSOR_URL: cardProcessorUrl,
    CARD_PROCESSOR_API_KEY: secrets.cardProcessorApiKey,
    // messaging: links point at the mini-app, which asks messaging for one-time codes and opt-outs (its internal API);
    // email goes to the devstack's SMTP sink, SMS and WhatsApp to the simulated providers, which call the webhooks
    // back with signed status reports and replies.
    MINIAPP_BASE_URL,
    MESSAGING_INTERNAL_API_TOKENS: `mini-app=${secrets.miniappMessagingToken}`,
    SMTP_FROM_ADDRESS,
    SMTP_FROM_NAME: 'Closeout Bank',
    SMTP_TLS_MODE: 'none',
    MESSAGING_PUBLIC_BASE_URL: messagingUrl,
    TWILIO_ACCOUNT_SID: SMS_ACCOUNT.accountSid,
    TWILIO_AUTH_TOKEN: SMS_ACCOUNT.authToken,
    TWILIO_FROM: SMS_ACCOUNT.from,
    TWILIO_BASE_URL: smsProviderUrl,
    TWILIO_STATUS_CALLBACK_URL: `${messagingUrl}/webhooks/sms/twilio`,
    WHATSAPP_ACCESS_TOKEN: WHATSAPP_ACCOUNT.accessToken,
    WHATSAPP_APP_SECRET: WHATSAPP_ACCOUNT.appSecret,
    WHATSAPP_PHONE_NUMBER_ID: WHATSAPP_ACCOUNT.phoneNumberId,
    WHATSAPP_BASE_URL: whatsappProviderUrl,
    // A channel the customer cannot be reached on (no contact point or consent there, WhatsApp outside its 24-hour
    // window) passes the message to email, then SMS.
    MESSAGING_FALLBACK_CHANNELS: 'EMAIL,SMS',
    MESSAGING_WORKER_POLL_MS: '200',
    MESSAGING_WORKER_BATCH: '50',
    // Every trigger of the run states its contact before its case asks for outreach: a request whose customer has
    // none (traffic of tests on the shared topics) is not waited for long.
    MESSAGING_CONTACT_WAIT_MS: '15000',
    WORKFLOW_DEFINITIONS_DIR: workflowsDir,
    WRITEBACK_REST_DESTINATIONS: JSON.stringify([
      restCoreDestination({
        baseUrl: `http://127.0.0.1:${REST_CORE_PORT}`,
        token: CORE_TOKEN,
        requestMs: 2_000,
        lookupVisibilityMs: 3_000,
      }),
    ]),
    WRITEBACK_SOAP_DESTINATIONS: JSON.stringify([
      soapCoreDestination({
        wsdlUrl: `${soapCore}/CoreBankingService?wsdl`,
        endpoint: `${soapCore}/CoreBankingService`,
        healthUrl: `${soapCore}/health`,
        requestMs: 2_500,
        lookupVisibilityMs: 3_000,
      }),
    ]),
    WRITEBACK_SFTP_DESTINATIONS: JSON.stringify([
      sftpCoreDestination(env, {
        remoteDir: sftpDir,
        windowMs: 500,
        receiptWindowMs: 8_000,
        receiptPollMs: 200,
      }),
    ]),
    WRITEBACK_LEASE_MS: '15000',
    RECONCILER_EXTRACTS: JSON.stringify([
      {
        protocol: 'REST',
        destination: 'core-banking-rest',
        baseUrl: `http://127.0.0.1:${REST_CORE_PORT}`,
        token: CORE_TOKEN,
      },
      {
        protocol: 'SOAP',
        destination: 'core-banking-soap',
        wsdlUrl: `${soapCore}/CoreBankingService?wsdl`,
        healthUrl: `${soapCore}/health`,
      },
      { protocol: 'SFTP', destination: 'core-banking-sftp', ...sftpLogin(env), remoteDir: sftpDir },
    ]),
    RECONCILER_INTERVAL: '15000',
    RECONCILER_DESTINATIONS: 'core-banking-rest,core-banking-soap,core-banking-sftp',
  };
}

/** The simulated cores as processes of their own (kept running after the job, like the services). */
function startCores(env: Record<string, string>): void {
  const journal = (name: string) => join(repoRoot, '.devstack', 'services', `${name}.journal.jsonl`);
  if (runningPid('rest-core') === undefined) {
    startProcess(
      'rest-core',
      'tools/simulators/rest-core/main.ts',
      ['--port', String(REST_CORE_PORT), '--journal-file', journal('rest-core'), '--faults', REST_FAULTS],
      {},
    );
    say(`simulated REST core (test double) on :${REST_CORE_PORT}, faults ${REST_FAULTS}`);
  }
  if (runningPid('soap-core') === undefined) {
    startProcess(
      'soap-core',
      'tools/simulators/soap-core/main.ts',
      ['--port', String(SOAP_CORE_PORT), '--journal-file', journal('soap-core'), '--faults', SOAP_FAULTS],
      {},
    );
    say(`simulated SOAP core (test double) on :${SOAP_CORE_PORT}, faults ${SOAP_FAULTS}`);
  }
  if (runningPid('sftp-core') === undefined) {
    startProcess(
      'sftp-core',
      'tools/simulators/sftp-core/main.ts',
      [
        '--root',
        env['SFTP_ROOT']!,
        '--destinations',
        'core-banking-sftp',
        '--journal-file',
        journal('sftp-core'),
        '--faults',
        SFTP_FAULTS,
      ],
      {},
    );
    say(
      `simulated SFTP batch core (test double) on ${env['SFTP_ROOT']}/core-banking-sftp, faults ${SFTP_FAULTS}`,
    );
  }
}

/**
 * The simulated messaging providers as processes of their own (kept running after the job, like the cores): no faults
 * injected at start (the job asks the SMS provider for a customer's STOP reply per number), status callbacks and
 * replies POSTed to messaging's webhooks, signed. Opt-out keywords are left to messaging, which confirms them itself.
 */
function startMessagingProviders(): void {
  mkdirSync(join(repoRoot, '.devstack', 'messaging-providers'), { recursive: true });
  if (runningPid('sms-provider') === undefined) {
    startProcess(
      'sms-provider',
      'tools/simulators/sms-provider/main.ts',
      [
        '--port',
        String(SMS_PROVIDER_PORT),
        '--account-sid',
        SMS_ACCOUNT.accountSid,
        '--auth-token',
        SMS_ACCOUNT.authToken,
        '--numbers',
        SMS_ACCOUNT.from,
        '--inbound-webhook-url',
        `${messagingUrl}/webhooks/sms/twilio`,
        '--keyword-opt-out',
        'false',
        '--journal-file',
        providerJournal('sms-provider'),
      ],
      {},
    );
    say(`simulated SMS provider (Twilio-compatible test double) on :${SMS_PROVIDER_PORT}`);
  }
  if (runningPid('whatsapp-provider') === undefined) {
    startProcess(
      'whatsapp-provider',
      'tools/simulators/whatsapp-provider/main.ts',
      [
        '--port',
        String(WHATSAPP_PROVIDER_PORT),
        '--access-token',
        WHATSAPP_ACCOUNT.accessToken,
        '--app-secret',
        WHATSAPP_ACCOUNT.appSecret,
        '--phone-number-id',
        WHATSAPP_ACCOUNT.phoneNumberId,
        '--webhook-url',
        `${messagingUrl}/webhooks/whatsapp/whatsapp-cloud`,
        '--journal-file',
        providerJournal('whatsapp-provider'),
      ],
      {},
    );
    say(`simulated WhatsApp Cloud API (test double) on :${WHATSAPP_PROVIDER_PORT}`);
  }
}

async function untilUp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** The consumer groups each service reads with (named after the service, as its consumers name them). */
function consumerGroupsOf(service: string): [string, string][] {
  const groups: Record<string, [string, string][]> = {
    orchestrator: [
      ['case-triggered', Topics.caseTriggered],
      ['outreach-event', Topics.outreachEvent],
      ['miniapp-action', Topics.miniappAction],
      ['writeback-result', Topics.writebackResult],
      ['writeback-command', Topics.writebackCommand],
    ],
    messaging: [
      ['customer-contact', Topics.customerContact],
      ['outreach-requested', Topics.outreachRequested],
    ],
    'mini-app-backend': [
      ['outreach-event', Topics.outreachEvent],
      ['case-state', Topics.caseState],
      ['customer-facts', Topics.customerFacts],
    ],
    reconciler: [
      ['writeback-requested', Topics.writebackRequested],
      ['writeback-result', Topics.writebackResult],
      ['case-state', Topics.caseState],
    ],
    // The run's store is new: it keeps what the services publish from now on.
    'audit-exporter': [['audit-event', Topics.auditEvent]],
  };
  const writeback: [string, string][] = [
    ['writeback-requested', Topics.writebackRequested],
    ['writeback-command', Topics.writebackCommand],
  ];
  const own = groups[service] ?? (service.startsWith('writeback-') ? writeback : []);
  return own.map(([g, t]) => [`${service}.${g}`, t]);
}

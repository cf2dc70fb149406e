/**
 * The messaging fault-and-crash harness: two messaging processes (one service name, so one pair of consumer groups;
 * each on its own HTTP port behind one webhook address) against the devstack (Kafka, registry, PostgreSQL, SMTP
 * sink) and the simulated SMS and WhatsApp providers, all with faults on. N contact statements, then N outreach
 * requests over EMAIL/SMS/WHATSAPP, each delivered twice or more, while a messaging process is SIGKILLed and
 * restarted `kills` times and some customers reply STOP. Once every request is settled (or a bounded time has
 * passed) it proves exactly-once sending from the providers' own records (provider-records.ts) and checks that
 * every request has a ledger row in a final or deferred state and its outcome event.
 *
 * Targets only 127.0.0.1; every loop is bounded by N, the kill count or a timeout.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  Topics,
  type CustomerContact,
  type OutreachEvent,
  type OutreachRequested,
} from '@closeout/contracts';
import {
  KafkaClient,
  kafkaConnectionFromEnv,
  positionGroupsAtEnd,
  type OutgoingEvent,
} from '@closeout/kafka';
import type { Channel } from '@closeout/messaging-domain';
import { seededRandom } from '@closeout/simulators/shared';
import { startSmsProvider, type FaultRule as SmsFaultRule } from '@closeout/simulators/sms-provider';
import { startWhatsAppProvider } from '@closeout/simulators/whatsapp-provider';
import {
  devstackEnv,
  logFile,
  runningPid,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from '../../demo/services';
import { freePort } from '../../e2e/case-stack';
import { buildPopulation, PURPOSE, TEMPLATE, type Delivery, type Request } from './population';
import { checkProviderRecords, type OptOut, type ProviderMessage } from './provider-records';
import { startWebhookFront } from './webhook-front';

export interface MessagingHarnessOptions {
  /** Contact statements and outreach requests (distinct outreaches). */
  n: number;
  /** SIGKILL + restart cycles of a messaging process while work is in flight. */
  kills: number;
  seed?: number;
  /** Faults at the SMTP sink for some of the run's recipients (temporary failure, refusal, mail cut after DATA). */
  smtpFaults?: boolean;
  /** How long to wait for every request to settle, per wave. */
  settleTimeoutMs?: number;
  /** Keep the schema after the run. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface MessagingHarnessReport {
  runId: string;
  seed: number;
  schema: string;
  elapsedMs: number;
  settled: boolean;
  requests: number;
  deliveries: { total: number; redeliveries: number; reRequests: number };
  kills: number;
  sends: {
    total: number;
    byChannel: Record<Channel, number>;
    fallbacks: number;
    confirmations: number;
    foreign: number;
  };
  ledger: Record<string, number>;
  outcomes: {
    deferred: number;
    suppressed: Record<string, number>;
    optedOut: { stopsAnswered: number; stopsRefused: number; outreachesReported: number; suppressed: number };
    failed: number;
  };
  unknowns: {
    /** Sends whose outcome was open (no answer, a cut connection). */
    opened: number;
    resolvedByLookup: number;
    resendAllowed: number;
    /** Ended FAILED OUTCOME_UNKNOWN on their channel (an e-mail cut after DATA: SMTP has no lookup). */
    endedUnknown: number;
    /** Of those, sent again on a fallback channel: the customer may hold both messages. */
    thenFallback: number;
    open: Record<string, number>;
  };
  faults: {
    sms: Record<string, number>;
    whatsapp: Record<string, number>;
    smtpRules: number;
    retryAfterUndercut: number;
  };
  webhooks: { forwarded: number; failedOver: number; unreachable: number };
  duplicates: number;
  lost: number;
  outsideWindow: number;
  afterOptOut: number;
  violations: string[];
}

const MINIAPP = 'https://app.closeout.test';
const SETTLED = ['SENT', 'DELIVERED', 'FAILED', 'SUPPRESSED'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LedgerRow {
  outreach_id: string;
  status: string;
  channel: string;
  reason: string | null;
  failed_channels: string[];
}

export async function runMessagingHarness(options: MessagingHarnessOptions): Promise<MessagingHarnessReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const random = seededRandom(seed);
  const run = randomBytes(3).toString('hex');
  const schema = `messaging_harness_${run}`;
  const serviceName = `messaging-h${run}`;
  const instances = [`${serviceName}-a`, `${serviceName}-b`];
  const emailDomain = `h${run}.example.com`;
  const fromAddress = `harness-${run}@closeout.example`;
  const env = devstackEnv();
  for (const key of ['SMTP_HOST', 'SMTP_SINK_URL', 'DATABASE_URL', 'SCHEMA_REGISTRY_URL', 'KAFKA_BROKERS'])
    if (!/^((postgres|http):\/\/([^@/]+@)?)?127\.0\.0\.1([:/,]|$)/.test(env[key] ?? ''))
      throw new Error(`${key} must point at 127.0.0.1 (devstack env gives ${env[key]})`);
  const sinkUrl = env['SMTP_SINK_URL']!;
  const started = Date.now();
  const population = buildPopulation({ n: options.n, run, random, now: started, emailDomain });
  const violations: string[] = [];
  log(
    `messaging harness ${run}: N=${options.n}, kills=${options.kills}, seed=${seed}, schema ${schema}, ` +
      `${population.customers.filter((c) => c.quiet).length} customers in quiet hours now`,
  );

  // The providers, with every fault mode they have at a rate; STOP replies scripted for some customers.
  const account = {
    accountSid: `AC${randomBytes(16).toString('hex')}`,
    authToken: `token-${run}`,
    numbers: ['+15005550006'],
  };
  const ports: number[] = [];
  const live = new Set<number>();
  const front = await startWebhookFront(() => ports.filter((p) => live.has(p)));
  const sharedFaults: SmsFaultRule[] = [
    { mode: 'rate_limited', rate: 0.05, retryAfterSeconds: 1 },
    { mode: 'error_5xx', rate: 0.04 },
    { mode: 'accept_then_timeout', rate: 0.03, delayMs: 0 },
    { mode: 'foreign_answer', rate: 0.01 },
    { mode: 'undeliverable', rate: 0.02 },
    { mode: 'send_failed', rate: 0.01 },
    { mode: 'duplicate_callbacks', rate: 0.1 },
    { mode: 'late_callbacks', rate: 0.05, delayMs: 1_500 },
    { mode: 'out_of_order_callbacks', rate: 0.05 },
  ];
  const sms = await startSmsProvider({
    host: '127.0.0.1',
    account,
    inboundWebhookUrl: `${front.url}/webhooks/sms/twilio`,
    // The account handles opt-outs itself: a send after a STOP reaches the journal, where the harness sees it.
    keywordOptOut: false,
    undeliverableNumbers: population.undeliverable.map((c) => c.phone),
    faults: [
      ...population.replyStop.map((c): SmsFaultRule => ({
        mode: 'customer_reply',
        count: 1,
        body: 'STOP',
        match: { to: c.phone },
      })),
      ...sharedFaults,
    ],
    random: seededRandom(seed + 1),
  });
  const whatsapp = {
    accessToken: `wa-token-${run}`,
    appSecret: `wa-secret-${run}`,
    phoneNumberId: `1065${String(parseInt(run, 16)).padStart(11, '0')}`,
  };
  const wa = await startWhatsAppProvider({
    host: '127.0.0.1',
    ...whatsapp,
    webhookUrl: `${front.url}/webhooks/whatsapp/whatsapp-cloud`,
    faults: sharedFaults,
    random: seededRandom(seed + 2),
  });

  // SMTP faults, scoped to single recipients of this run (the devstack's sink is shared) and counted, so they are
  // used up: a temporary failure twice, a refused recipient, a mail stored and then cut before it was answered.
  let smtpRules = 0;
  if (options.smtpFaults !== false) {
    const emailed = population.requests.filter(
      (r) => r.channel === 'EMAIL' && !r.followUp && !r.customer.quiet && r.customer.consented,
    );
    const rules = emailed.flatMap((r) => {
      const x = random();
      const to = r.customer.email;
      if (x < 0.05) return [{ mode: 'temp_fail', count: 2, match: { to } }];
      if (x < 0.06) return [{ mode: 'reject_recipient', count: 1, match: { to } }];
      if (x < 0.07) return [{ mode: 'drop_after_data', count: 1, match: { to } }];
      return [];
    });
    for (let i = 0; i < rules.length; i += 200) {
      const res = await fetch(`${sinkUrl}/_sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rules.slice(i, i + 200)),
      });
      if (res.status !== 201)
        throw new Error(`SMTP sink refused the fault rules: ${res.status} ${await res.text()}`);
    }
    smtpRules = rules.length;
  }

  const connection = kafkaConnectionFromEnv(env);
  const kafka = new KafkaClient({
    clientId: `harness-${run}`,
    ...connection,
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    topics: [Topics.customerContact, Topics.outreachRequested, Topics.outreachEvent],
  });
  const db = new Client({ connectionString: env['DATABASE_URL'] });
  const serviceEnv: Record<string, string> = {
    ...env,
    SERVICE_NAME: serviceName,
    LOG_LEVEL: 'warn',
    MESSAGING_DB_SCHEMA: schema,
    MINIAPP_BASE_URL: MINIAPP,
    MESSAGING_PUBLIC_BASE_URL: front.url,
    MESSAGING_FALLBACK_CHANNELS: 'SMS,EMAIL',
    MESSAGING_WORKER_POLL_MS: '200',
    MESSAGING_WORKER_BATCH: '16',
    MESSAGING_LEASE_MS: '12000',
    MESSAGING_MAX_SEND_ATTEMPTS: '8',
    MESSAGING_RETRY_BASE_MS: '200',
    MESSAGING_RETRY_MAX_MS: '2000',
    MESSAGING_LOOKUP_DELAY_MS: '1000',
    MESSAGING_LOOKUP_VISIBILITY_MS: '5000',
    // An e-mail cut after DATA (no lookup) ends FAILED OUTCOME_UNKNOWN after this, never sent again on that channel.
    MESSAGING_UNKNOWN_MAX_MS: '20000',
    // Contacts are published first; a request never waits long for one, and never gives up on it during the run.
    MESSAGING_CONTACT_WAIT_MS: '3600000',
    SMTP_FROM_ADDRESS: fromAddress,
    SMTP_FROM_NAME: 'Closeout Bank',
    SMTP_TLS_MODE: 'none',
    TWILIO_ACCOUNT_SID: account.accountSid,
    TWILIO_AUTH_TOKEN: account.authToken,
    TWILIO_FROM: account.numbers[0]!,
    TWILIO_BASE_URL: sms.url,
    TWILIO_STATUS_CALLBACK_URL: `${front.url}/webhooks/sms/twilio`,
    WHATSAPP_ACCESS_TOKEN: whatsapp.accessToken,
    WHATSAPP_APP_SECRET: whatsapp.appSecret,
    WHATSAPP_PHONE_NUMBER_ID: whatsapp.phoneNumberId,
    WHATSAPP_BASE_URL: wa.url,
    WHATSAPP_APPROVED_TEMPLATES: JSON.stringify({
      [TEMPLATE]: { en: { name: TEMPLATE.replace(/[.-]/g, '_'), language: 'en' } },
    }),
  };

  const events = new Map<string, OutreachEvent[]>();
  let killed = 0;
  let settled = false;
  const publishedEvents = { total: 0, redeliveries: 0, reRequests: 0 };
  let observerStop: (() => Promise<void>) | undefined;
  let ledger: LedgerRow[] = [];

  const boot = async (name: string, port: number): Promise<void> => {
    startService(name, port, serviceEnv, { app: 'messaging' });
    await waitUntilReady(name, port, 180_000);
    live.add(port);
  };
  const scalar = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql)).rows[0]!.n);

  try {
    await db.connect();
    await kafka.start();
    const observer = await kafka.subscriber.subscribe({
      groupId: `harness-${run}.outreach-events`,
      topic: Topics.outreachEvent,
      handler: ({ value }) => {
        if (value.caseId.startsWith(`case-${run}-`))
          events.set(value.outreachId, [...(events.get(value.outreachId) ?? []), value]);
        return Promise.resolve();
      },
    });
    observerStop = () => observer.stop();
    await observer.whenPositioned();
    await positionGroupsAtEnd(connection, [
      { groupId: `${serviceName}.customer-contact`, topic: Topics.customerContact },
      { groupId: `${serviceName}.outreach-requested`, topic: Topics.outreachRequested },
    ]);
    for (const name of instances) {
      const port = await freePort();
      ports.push(port);
      await boot(name, port);
    }
    log(
      `messaging up: ${instances.map((n, i) => `${n} on :${ports[i]}`).join(', ')}; webhooks at ${front.url}`,
    );

    // Contacts first: every request then finds its customer's statement.
    const statedAt = started - 60_000;
    const contacts: OutgoingEvent[] = population.customers.map((c) => {
      const value: CustomerContact = {
        eventId: `cc-${c.customerId}`,
        occurredAt: statedAt,
        correlationId: `corr-${c.customerId}`,
        causationId: null,
        customerId: c.customerId,
        sourceSystem: 'billing-core',
        sourceEventId: `evt-${c.customerId}`,
        email: c.email,
        phone: c.phone,
        timeZone: c.timeZone,
        locale: 'en-GB',
        consents: c.consented
          ? (['EMAIL', 'SMS', 'WHATSAPP'] as const).map((channel) => ({
              channel,
              purpose: PURPOSE,
              granted: true,
              source: 'online-banking',
              statedAt,
            }))
          : [],
      };
      return {
        topic: Topics.customerContact,
        key: { customerId: c.customerId },
        value,
        headers: { correlationId: value.correlationId },
      };
    });
    for (let i = 0; i < contacts.length; i += 500)
      await kafka.publisher.publishMany(contacts.slice(i, i + 500));
    const contactsBy = Date.now() + Math.max(120_000, options.n * 50);
    while ((await scalar(`SELECT count(*) AS n FROM "${schema}".contact`)) < options.n) {
      if (Date.now() > contactsBy) throw new Error(`contacts not all stored after ${options.n * 50} ms`);
      await sleep(500);
    }
    log(`${options.n} contacts stored in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const requestEvent = (d: Delivery): OutgoingEvent => {
      const r = d.request;
      const value: OutreachRequested = {
        eventId: d.eventId,
        occurredAt: Date.now(),
        correlationId: r.caseId,
        causationId: null,
        idempotencyKey: `${r.outreachId}:1`,
        caseId: r.caseId,
        workflowId: 'failed-payment-recovery',
        outreachId: r.outreachId,
        customerId: r.customer.customerId,
        channel: r.channel,
        templateId: TEMPLATE,
        purpose: PURPOSE,
        attempt: 1,
        linkExpiresAt: started + 7 * 86_400_000,
      };
      return {
        topic: Topics.outreachRequested,
        key: { caseId: r.caseId },
        value,
        headers: { correlationId: r.caseId },
      };
    };
    const publishWave = async (wave: Delivery[], perSecond: number): Promise<void> => {
      const seen = new Set<string>();
      const batch = Math.max(1, Math.ceil(perSecond / 10));
      for (let i = 0; i < wave.length; i += batch) {
        const slice = wave.slice(i, i + batch);
        for (const d of slice) {
          if (seen.has(d.request.outreachId)) {
            if (d.eventId === `orq-${d.request.outreachId}`) publishedEvents.redeliveries += 1;
            else publishedEvents.reRequests += 1;
          }
          seen.add(d.request.outreachId);
        }
        await kafka.publisher.publishMany(slice.map(requestEvent));
        publishedEvents.total += slice.length;
        await sleep(100);
      }
    };

    /** Every request of `wave` settled: a final ledger row with its outcome event, or deferred for quiet hours. */
    const waitSettled = async (wave: Request[], label: string): Promise<boolean> => {
      const deadline = Date.now() + (options.settleTimeoutMs ?? Math.max(300_000, wave.length * 160));
      let lastLog = 0;
      while (Date.now() < deadline) {
        await sleep(1_000);
        ledger = (
          await db.query<LedgerRow>(
            `SELECT outreach_id, status, channel, reason, failed_channels FROM "${schema}".send`,
          )
        ).rows;
        const rows = new Map(ledger.map((r) => [r.outreach_id, r]));
        const open = wave.filter((r) => {
          const row = rows.get(r.outreachId);
          if (!row) return true;
          if (row.status === 'DEFERRED' && row.reason === 'QUIET_HOURS') return false;
          return !SETTLED.includes(row.status) || !(events.get(r.outreachId) ?? []).length;
        });
        const unpublished = await scalar(
          `SELECT count(*) AS n FROM "${schema}".outbox WHERE published_at IS NULL`,
        );
        if (open.length === 0 && unpublished === 0) return true;
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          const byStatus = new Map<string, number>();
          for (const r of open) {
            const s = rows.get(r.outreachId)?.status ?? 'no row';
            byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
          }
          log(
            `${label}: ${open.length} of ${wave.length} open (${[...byStatus].map(([s, n]) => `${s} ${n}`).join(', ')}), ${unpublished} outbox rows unpublished`,
          );
        }
      }
      return false;
    };

    // Wave 1, with kills at random moments while it is published and worked, and customers sending STOP.
    const firstRequests = population.requests.filter((r) => !r.followUp);
    const rate = Math.max(100, Math.ceil(options.n / Math.max(1, options.kills * 8)));
    const publishing = publishWave(population.firstWave, rate).then(() =>
      log(
        `wave 1: ${population.firstWave.length} deliveries published in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ),
    );
    const chaos = (async () => {
      for (let k = 0; k < options.kills; k += 1) {
        await sleep(1_000 + Math.floor(random() * 5_000));
        const which = Math.floor(random() * instances.length);
        const name = instances[which]!;
        const port = ports[which]!;
        live.delete(port);
        stopService(name, 'SIGKILL');
        await waitForExit(name, 5_000);
        killed += 1;
        const inFlight = await scalar(
          `SELECT count(*) AS n FROM "${schema}".send WHERE status IN ('SENDING','UNKNOWN','RETRY_WAIT','RECEIVED')`,
        );
        log(`kill ${killed}/${options.kills}: SIGKILL ${name} with ${inFlight} rows in flight; restarting`);
        await boot(name, port);
      }
    })();
    const stops = (async () => {
      const spread = Math.max(5_000, (population.firstWave.length / rate) * 1_000);
      const plan = [
        ...population.sendStop.map((c) => ({ c, whatsapp: false })),
        ...population.sendWhatsAppStop.map((c) => ({ c, whatsapp: true })),
      ]
        .map((s) => ({ ...s, at: Math.floor(random() * spread) }))
        .sort((a, b) => a.at - b.at);
      const t0 = Date.now();
      for (const s of plan) {
        await sleep(Math.max(0, t0 + s.at - Date.now()));
        if (s.whatsapp) await wa.customerMessage(s.c.phone, 'STOP');
        else await sms.customerMessage(s.c.phone, account.numbers[0]!, 'STOP');
      }
    })();
    await Promise.all([publishing, chaos, stops]);
    const firstSettled = await waitSettled(firstRequests, 'wave 1');
    log(
      `wave 1 ${firstSettled ? 'settled' : 'NOT settled'} at ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    // Wave 2: a second outreach for customers who opted out (or were about to).
    await publishWave(population.secondWave, rate);
    const secondSettled = await waitSettled(
      population.requests.filter((r) => r.followUp),
      'wave 2',
    );
    settled = firstSettled && secondSettled;
    // Late and duplicate callbacks, and anything a late send would add, land before the records are read.
    await sleep(4_000);
    ledger = (
      await db.query<LedgerRow>(
        `SELECT outreach_id, status, channel, reason, failed_channels FROM "${schema}".send`,
      )
    ).rows;

    // The providers' own records.
    const messages: ProviderMessage[] = [];
    for (const e of sms.journal()) {
      let messageId: string | undefined;
      try {
        messageId = e.statusCallback
          ? (new URL(e.statusCallback).searchParams.get('messageId') ?? undefined)
          : undefined;
      } catch {
        messageId = undefined;
      }
      messages.push({ channel: 'SMS', messageId, to: e.to, at: Date.parse(e.acceptedAt), ref: e.sid });
    }
    for (const e of wa.journal())
      messages.push({
        channel: 'WHATSAPP',
        messageId: e.bizOpaqueCallbackData ?? undefined,
        to: `+${e.waId}`,
        at: Date.parse(e.acceptedAt),
        ref: e.id,
      });
    const sink = (await (await fetch(`${sinkUrl}/_sim/journal`)).json()) as {
      entries: Array<{
        id: string;
        receivedAt: string;
        messageId: string | null;
        envelope: { mailFrom: string | null; rcptTo: string[] };
      }>;
    };
    for (const e of sink.entries.filter((x) => x.envelope.mailFrom === fromAddress)) {
      const m = /^<?([^@>]+)@/.exec(e.messageId ?? '');
      messages.push({
        channel: 'EMAIL',
        messageId: m?.[1],
        to: e.envelope.rcptTo[0] ?? '',
        at: Date.parse(e.receivedAt),
        ref: e.id,
      });
    }

    // STOPs the service answered (2xx), from the providers' webhook records.
    const customerByPhone = new Map(population.customers.map((c) => [c.phone, c]));
    const optOuts: OptOut[] = [];
    let stopsRefused = 0;
    for (const w of sms.webhooks()) {
      if (w.kind !== 'inbound' || (w.params['Body'] ?? '').trim().toUpperCase() !== 'STOP') continue;
      const customer = customerByPhone.get(w.params['From'] ?? '');
      if (w.answeredStatus < 200 || w.answeredStatus >= 300) stopsRefused += 1;
      else if (customer)
        optOuts.push({ customerId: customer.customerId, channel: 'SMS', answeredAt: w.answeredAt });
    }
    for (const w of wa.webhooks()) {
      if (w.kind !== 'inbound') continue;
      const inbound = JSON.stringify(w.body);
      const from = /"from":"(\d+)"/.exec(inbound)?.[1];
      if (!/"body":"STOP"/.test(inbound) || !from) continue;
      const customer = customerByPhone.get(`+${from}`);
      if (w.answeredStatus < 200 || w.answeredStatus >= 300) stopsRefused += 1;
      else if (customer)
        optOuts.push({ customerId: customer.customerId, channel: 'WHATSAPP', answeredAt: w.answeredAt });
    }

    const failedChannels = new Map<string, Set<Channel>>();
    for (const [outreachId, list] of events)
      for (const e of list)
        if (e.status === 'FAILED')
          failedChannels.set(outreachId, (failedChannels.get(outreachId) ?? new Set()).add(e.channel));
    const check = checkProviderRecords({ messages, requests: population.requests, optOuts, failedChannels });
    violations.push(...check.violations);

    // Every request: a ledger row in a final or deferred state, with its outcome event; the ledger's sends are the
    // providers' (no SENT without a provider record, no provider record for a suppressed or deferred request).
    const rows = new Map(ledger.map((r) => [r.outreach_id, r]));
    const ledgerCounts: Record<string, number> = {};
    const suppressed: Record<string, number> = {};
    const openUnknown: Record<string, number> = {};
    let lost = 0;
    let deferred = 0;
    let failed = 0;
    for (const r of population.requests) {
      const row = rows.get(r.outreachId);
      const statuses = (events.get(r.outreachId) ?? []).map((e) => e.status);
      const key = row ? (row.status === 'DEFERRED' ? `DEFERRED ${row.reason}` : row.status) : 'no row';
      ledgerCounts[key] = (ledgerCounts[key] ?? 0) + 1;
      const provider = check.sentOn.get(r.outreachId);
      if (!row) {
        lost += 1;
        violations.push(
          `${r.outreachId}: lost — no ledger row (published ${r.followUp ? 'in wave 2' : 'in wave 1'})`,
        );
        continue;
      }
      if (row.status === 'DEFERRED' && row.reason === 'QUIET_HOURS') {
        deferred += 1;
        if (!r.customer.quiet)
          violations.push(
            `${r.outreachId}: deferred for quiet hours, but ${r.customer.timeZone} is inside the window`,
          );
        if (provider)
          violations.push(`${r.outreachId}: deferred, yet the ${[...provider].join('/')} provider has it`);
        continue;
      }
      if (!SETTLED.includes(row.status)) {
        lost += 1;
        if (row.status === 'UNKNOWN' || row.status === 'SENDING')
          openUnknown[row.channel] = (openUnknown[row.channel] ?? 0) + 1;
        violations.push(
          `${r.outreachId}: lost — ledger ${row.status} on ${row.channel} (${row.reason ?? 'no reason'}), ` +
            `provider records: ${provider ? [...provider].join('/') : 'none'}, events: ${statuses.join(',') || 'none'}`,
        );
        continue;
      }
      const want =
        row.status === 'SUPPRESSED'
          ? ['SUPPRESSED']
          : row.status === 'FAILED'
            ? ['FAILED']
            : ['SENT', 'DELIVERED'];
      if (!statuses.some((s) => want.includes(s))) {
        lost += 1;
        violations.push(
          `${r.outreachId}: lost — ledger ${row.status}, no ${want.join('/')} outreach.event (${statuses.join(',') || 'none'})`,
        );
      }
      if (row.status === 'SUPPRESSED') {
        suppressed[row.reason ?? '?'] = (suppressed[row.reason ?? '?'] ?? 0) + 1;
        if (provider)
          violations.push(
            `${r.outreachId}: suppressed (${row.reason}), yet the ${[...provider].join('/')} provider has it`,
          );
      }
      if (row.status === 'FAILED') failed += 1;
      if ((row.status === 'SENT' || row.status === 'DELIVERED') && !provider?.has(row.channel as Channel))
        violations.push(
          `${r.outreachId}: ledger ${row.status} on ${row.channel}, but that provider has no such message`,
        );
    }

    const audit = async (where: string): Promise<number> =>
      scalar(
        `SELECT count(DISTINCT value->'references'->>'outreachId') AS n FROM "${schema}".outbox WHERE topic = '${Topics.auditEvent}' AND ${where}`,
      );
    const resolvedByLookup = await audit(
      `value->>'action' IN ('outreach.sent','outreach.delivered','outreach.channel-failed','outreach.failed') AND value->>'reason' LIKE 'provider reports%'`,
    );
    const resendAllowed = await audit(`value->>'action' = 'outreach.resend-allowed'`);
    const opened = await audit(`value->>'action' = 'outreach.outcome-unknown'`);
    const endedUnknownIds = [...events]
      .filter(([, list]) => list.some((e) => e.status === 'FAILED' && /OUTCOME_UNKNOWN/.test(e.reason ?? '')))
      .map(([id]) => id);
    const thenFallback = endedUnknownIds.filter((id) => (check.sentOn.get(id)?.size ?? 0) > 1).length;
    const optedOutReported = [...events.values()].filter((list) =>
      list.some((e) => e.status === 'OPTED_OUT'),
    ).length;

    const smsStats = sms.stats();
    const waStats = wa.stats();
    const retryAfterUndercut = smsStats.retryAfterViolations.total + waStats.retryAfterViolations.total;
    if (retryAfterUndercut > 0)
      violations.push(
        `${retryAfterUndercut} sends came back before the provider's Retry-After (${JSON.stringify(smsStats.retryAfterViolations.events.slice(0, 3))})`,
      );
    return {
      runId: run,
      seed,
      schema,
      elapsedMs: Date.now() - started,
      settled,
      requests: population.requests.length,
      deliveries: publishedEvents,
      kills: killed,
      sends: {
        total: check.sends,
        byChannel: check.sendsByChannel,
        fallbacks: check.fallbacks,
        confirmations: check.confirmations,
        foreign: check.foreign,
      },
      ledger: ledgerCounts,
      outcomes: {
        deferred,
        suppressed,
        optedOut: {
          stopsAnswered: optOuts.length,
          stopsRefused,
          outreachesReported: optedOutReported,
          suppressed: suppressed['SUPPRESSED_OPTED_OUT'] ?? 0,
        },
        failed,
      },
      unknowns: {
        opened,
        resolvedByLookup,
        resendAllowed,
        endedUnknown: endedUnknownIds.length,
        thenFallback,
        open: openUnknown,
      },
      faults: {
        sms: Object.fromEntries(Object.entries(smsStats.faultsInjected).filter(([, n]) => n > 0)),
        whatsapp: Object.fromEntries(Object.entries(waStats.faultsInjected).filter(([, n]) => n > 0)),
        smtpRules,
        retryAfterUndercut,
      },
      webhooks: front.counts(),
      duplicates: check.duplicates,
      lost,
      outsideWindow: check.outsideWindow,
      afterOptOut: check.afterOptOut,
      violations: [...(settled ? [] : ['not every request settled in time']), ...violations],
    };
  } finally {
    // The providers first: a late callback or scripted reply must not land while the instances stop.
    await sms.close();
    await wa.close();
    for (const name of instances) {
      if (runningPid(name) !== undefined) {
        stopService(name, 'SIGTERM');
        if (!(await waitForExit(name, 15_000))) stopService(name, 'SIGKILL');
      }
    }
    log(`logs: ${instances.map((n) => logFile(n)).join(', ')}`);
    await observerStop?.().catch(() => undefined);
    await kafka.close().catch(() => undefined);
    await front.close();
    if (!options.keep) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.end().catch(() => undefined);
  }
}

export function formatReport(r: MessagingHarnessReport): string {
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `run ${r.runId} (seed ${r.seed}): ${r.requests} requests, ${r.deliveries.total} deliveries (${r.deliveries.redeliveries} redeliveries, ${r.deliveries.reRequests} re-requests), ${r.kills} kills, ${(r.elapsedMs / 1000).toFixed(1)} s, settled: ${r.settled}`,
    `sends (provider records): ${r.sends.total} — ${kv(r.sends.byChannel)}; ${r.sends.fallbacks} outreaches on a fallback channel; ${r.sends.confirmations} opt-out confirmations; ${r.sends.foreign} mails for other runs' requests (shared topics and sink)`,
    `ledger:      ${kv(r.ledger)}`,
    `outcomes:    deferred ${r.outcomes.deferred}, failed ${r.outcomes.failed}, suppressed ${kv(r.outcomes.suppressed)}`,
    `opt-outs:    ${r.outcomes.optedOut.stopsAnswered} STOPs answered by the service (${r.outcomes.optedOut.stopsRefused} refused), ${r.outcomes.optedOut.outreachesReported} outreaches reported OPTED_OUT, ${r.outcomes.optedOut.suppressed} later requests SUPPRESSED_OPTED_OUT`,
    `unknowns:    ${r.unknowns.opened} opened, ${r.unknowns.resolvedByLookup} resolved by lookup (the others by status webhooks), ${r.unknowns.resendAllowed} found absent and sent again, ${r.unknowns.endedUnknown} ended FAILED OUTCOME_UNKNOWN (${r.unknowns.thenFallback} of them then sent on a fallback channel), still open: ${kv(r.unknowns.open)}`,
    `faults:      SMS ${kv(r.faults.sms)}; WhatsApp ${kv(r.faults.whatsapp)}; SMTP ${r.faults.smtpRules} recipient rules; Retry-After undercut ${r.faults.retryAfterUndercut}`,
    `webhooks:    ${r.webhooks.forwarded} forwarded, ${r.webhooks.failedOver} failed over to the other instance, ${r.webhooks.unreachable} with no instance up`,
    `duplicates ${r.duplicates}, lost ${r.lost}, outside the window ${r.outsideWindow}, after opt-out ${r.afterOptOut}; violations ${r.violations.length}`,
    ...r.violations.slice(0, 40).map((v) => `  ✗ ${v}`),
    ...(r.violations.length > 40 ? [`  … and ${r.violations.length - 40} more`] : []),
  ].join('\n');
}

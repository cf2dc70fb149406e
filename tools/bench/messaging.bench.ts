/**
 * Messages per second through messaging (Kafka → inbox → send ledger → worker → provider → outbox → Kafka) next to
 * the same provider calls made directly, in one run, against the devstack's SMTP sink and a simulated Twilio SMS
 * provider.
 *
 *   node_modules/.bin/node -r @swc-node/register tools/bench/messaging.bench.ts [N=2000] [concurrency=32] [emailShare=0.5]
 *
 * - service: messaging as its own process (`tools/demo/services.ts`, as the end-to-end stack starts services), with
 *   MESSAGING_WORKER_BATCH = concurrency (the sends a worker pass makes at once). N customer.contact.v1 (consent
 *   for the purpose on the channel) then N outreach.requested.v1 (EMAIL for `emailShare` of them, SMS for the rest)
 *   are published; messages/s from the first publish to the last outreach.event SENT; latency from a request's
 *   publish to its SENT.
 * - direct: the messages the service sent (an email's subject, text and HTML as the sink stored it, an SMS body as
 *   the simulator journalled it), to recipients of their own, through EmailProvider and TwilioSmsProvider built from
 *   the same settings, `concurrency` at a time.
 * Then checks: every request has exactly one outreach.event, SENT; the SMTP sink's and the simulator's journals hold
 * exactly one message per recipient of the run. Exits non-zero when a check fails.
 * Needs the devstack (`tools/devstack/devstack up`). Everything runs on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
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
import {
  EmailProvider,
  parseEmailProviderConfig,
  parseTwilioSmsConfig,
  TwilioSmsProvider,
  type OutboundMessage,
} from '@closeout/messaging-channels';
import { startSmsProvider } from '@closeout/simulators/sms-provider';
import { configureLogging } from '@closeout/telemetry';
import { devstackEnv, startService, stopService, waitForExit, waitUntilReady } from '../demo/services';
import { freePort } from '../e2e/case-stack';
import { percentiles, type Row } from './figures';

const N = Number(process.argv[2] ?? 2_000);
const CONCURRENCY = Number(process.argv[3] ?? 32);
const EMAIL_SHARE = Number(process.argv[4] ?? 0.5);
const WARMUP = 100;
const TARGET_RATE = 500;
const TARGET_RATIO = 0.5;
const PURPOSE = 'servicing-collections';
const TEMPLATE = 'failed-payment-recovery.v1';
const MINIAPP = 'https://app.closeout.test';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** A process's user+system CPU in ms, or undefined where /proc cannot be read. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU ms of each PostgreSQL backend whose application_name is `name` (the devstack runs PostgreSQL locally). */
async function backendsCpu(db: Client, name: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1`,
    [name],
  );
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const cpu = processCpuMs(pid);
    if (cpu !== undefined) out.set(pid, cpu);
  }
  return out;
}

/** CPU the backends used between two readings (a backend that came or went counts from or to zero). */
function backendsDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** The machine's busy and total CPU time in ms (all CPUs), from /proc/stat. */
function machineUsage(): { busyMs: number; totalMs: number } | undefined {
  try {
    const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    const idle = (t[3] ?? 0) + (t[4] ?? 0);
    return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS, totalMs: (total * 1000) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The service's `messaging_db_statements_total` by kind, from its /metrics; undefined when it cannot be read. */
async function statementsOf(port: number): Promise<Map<string, number> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return undefined;
    const out = new Map<string, number>();
    for (const m of (await res.text()).matchAll(/^messaging_db_statements_total\{kind="([a-z]+)"\} (\d+)$/gm))
      out.set(m[1]!, Number(m[2]));
    return out;
  } catch {
    return undefined;
  }
}

/** A fixed-offset zone where the local hour is now `hour`: inside the send window, so nothing is deferred. */
function zoneAtLocalHour(hour: number): string {
  const offset = ((((hour - new Date().getUTCHours() + 11) % 24) + 24) % 24) - 11; // -11 … +12
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
  return offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

interface Recipient {
  customerId: string;
  channel: 'EMAIL' | 'SMS';
  to: string;
  outreachId: string;
  caseId: string;
}

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 100 || N > 50_000)
    throw new Error(`N must be an integer from 100 to 50,000, got ${process.argv[2]}`);
  if (!Number.isInteger(CONCURRENCY) || CONCURRENCY < 1 || CONCURRENCY > 256)
    throw new Error(`concurrency must be an integer from 1 to 256, got ${process.argv[3]}`);
  if (!(EMAIL_SHARE >= 0 && EMAIL_SHARE <= 1))
    throw new Error(`emailShare must be from 0 to 1, got ${process.argv[4]}`);
  configureLogging({ level: 'warn', service: 'bench' });
  const env = devstackEnv();
  for (const key of ['SMTP_HOST', 'SMTP_SINK_URL', 'DATABASE_URL', 'SCHEMA_REGISTRY_URL', 'KAFKA_BROKERS'])
    if (!/^((postgres|http):\/\/(\w+@)?)?127\.0\.0\.1([:/]|$)/.test(env[key] ?? ''))
      throw new Error(`${key} must point at 127.0.0.1 (devstack env gives ${env[key]})`);
  const sinkUrl = env['SMTP_SINK_URL']!;
  const run = randomBytes(3).toString('hex');
  const runDigits = String(parseInt(run, 16) % 100).padStart(2, '0');
  const schema = `messaging_bench_${run}`;
  const serviceName = `messaging-b${run}`;
  const account = {
    accountSid: `AC${randomBytes(16).toString('hex')}`,
    authToken: `token-${run}`,
    numbers: ['+15005550006'],
  };
  const zone = zoneAtLocalHour(13);
  const timeoutMs = Math.max(120_000, N * 100);
  console.log(
    `messaging benchmark: N=${N}, concurrency=${CONCURRENCY}, EMAIL share ${EMAIL_SHARE}, ${cpus().length} CPUs, ` +
      `SMTP sink ${env['SMTP_HOST']}:${env['SMTP_PORT']}, in-process SMS simulator, schema ${schema}`,
  );

  const sms = await startSmsProvider({ host: '127.0.0.1', account });
  const serviceEnv: Record<string, string> = {
    ...env,
    SERVICE_NAME: serviceName,
    // Its PostgreSQL backends are found by this name, for their CPU.
    PGAPPNAME: serviceName,
    LOG_LEVEL: 'warn',
    MESSAGING_DB_SCHEMA: schema,
    MINIAPP_BASE_URL: MINIAPP,
    MESSAGING_WORKER_BATCH: String(CONCURRENCY),
    MESSAGING_WORKER_POLL_MS: '100',
    // Requests of other runs sharing the topic find no contact here: they wait, silently, past this run's end.
    MESSAGING_CONTACT_WAIT_MS: '3600000',
    // The run's own envelope sender: another messaging instance on the shared topics (a test, the main job) may
    // take this run's contacts and requests and mail them too; its copies are counted apart.
    SMTP_FROM_ADDRESS: `bench-${run}@closeout.example`,
    SMTP_FROM_NAME: 'Closeout Bank',
    SMTP_TLS_MODE: 'none',
    TWILIO_ACCOUNT_SID: account.accountSid,
    TWILIO_AUTH_TOKEN: account.authToken,
    TWILIO_FROM: account.numbers[0]!,
    TWILIO_BASE_URL: sms.url,
  };
  const connection = kafkaConnectionFromEnv(env);
  const kafka = new KafkaClient({
    clientId: `bench-${run}`,
    ...connection,
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    topics: [Topics.customerContact, Topics.outreachRequested, Topics.outreachEvent],
  });
  const db = new Client({ connectionString: env['DATABASE_URL'] });
  const instance = serviceName;
  let serviceUp = false;
  const rows: Row[] = [];
  const failures: string[] = [];
  let serviceRate = 0;
  let directRate = 0;
  const cost: string[] = [];

  let serial = 0;
  const recipients = (prefix: string, n: number): Recipient[] =>
    Array.from({ length: n }, (_, i) => {
      const k = ++serial;
      const channel = i < Math.round(n * EMAIL_SHARE) ? 'EMAIL' : 'SMS';
      return {
        customerId: `cust-${prefix}${run}-${k}`,
        channel,
        to:
          channel === 'EMAIL'
            ? `bench-${run}-${k}@example.com`
            : // UK mobile numbers in +4478 (every +4478dd dddddd is a valid mobile number: other 07 ranges hold
              // personal numbers, pagers and unallocated blocks, which the policy rightly suppresses).
              `+4478${runDigits}${String(k).padStart(6, '0')}`,
        outreachId: `out-${prefix}${run}-${k}`,
        caseId: `case-${prefix}${run}-${k}`,
      };
    });

  try {
    await db.connect();
    await kafka.start();
    const events = new Map<string, OutreachEvent[]>();
    let lastSentAt = 0;
    const sentAt = new Map<string, number>();
    const observer = await kafka.subscriber.subscribe({
      groupId: `bench-${run}.observer`,
      topic: Topics.outreachEvent,
      handler: ({ value }) => {
        if (value.caseId.includes(run)) {
          const now = performance.now();
          events.set(value.outreachId, [...(events.get(value.outreachId) ?? []), value]);
          if (value.status === 'SENT') {
            sentAt.set(value.outreachId, now);
            lastSentAt = Math.max(lastSentAt, now);
          }
        }
        return Promise.resolve();
      },
    });
    await observer.whenPositioned();
    await positionGroupsAtEnd(connection, [
      { groupId: `${serviceName}.customer-contact`, topic: Topics.customerContact },
      { groupId: `${serviceName}.outreach-requested`, topic: Topics.outreachRequested },
    ]);
    const port = await freePort();
    const pid = startService(instance, port, serviceEnv, { app: 'messaging' });
    serviceUp = true;
    await waitUntilReady(instance, port, 120_000);

    const statedAt = Date.now() - 60_000;
    const contactOf = (r: Recipient): OutgoingEvent => {
      const value: CustomerContact = {
        eventId: `cc-${r.customerId}`,
        occurredAt: statedAt,
        correlationId: `corr-${r.customerId}`,
        causationId: null,
        customerId: r.customerId,
        sourceSystem: 'billing-core',
        sourceEventId: `evt-${r.customerId}`,
        email: r.channel === 'EMAIL' ? r.to : null,
        phone: r.channel === 'SMS' ? r.to : null,
        timeZone: zone,
        locale: 'en-GB',
        consents: [
          { channel: r.channel, purpose: PURPOSE, granted: true, source: 'online-banking', statedAt },
        ],
      };
      return {
        topic: Topics.customerContact,
        key: { customerId: r.customerId },
        value,
        headers: { correlationId: value.correlationId },
      };
    };
    const requestOf = (r: Recipient): OutgoingEvent => {
      const value: OutreachRequested = {
        eventId: `orq_${r.outreachId}`,
        occurredAt: Date.now(),
        correlationId: r.caseId,
        causationId: null,
        idempotencyKey: `${r.outreachId}:1`,
        caseId: r.caseId,
        workflowId: 'failed-payment-recovery',
        outreachId: r.outreachId,
        customerId: r.customerId,
        channel: r.channel,
        templateId: TEMPLATE,
        purpose: PURPOSE,
        attempt: 1,
        linkExpiresAt: Date.now() + 7 * 86_400_000,
      };
      return {
        topic: Topics.outreachRequested,
        key: { caseId: r.caseId },
        value,
        headers: { correlationId: r.caseId },
      };
    };
    const until = async (what: string, done: () => Promise<boolean> | boolean): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(20);
      }
    };
    const contactsStored = async (): Promise<number> => {
      const { rows: counted } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}".contact`,
      );
      return Number(counted[0]!.n);
    };
    /** Contacts, then (once all are stored) the requests; returns when each request has its SENT. */
    const drive = async (batch: Recipient[], publishedAt: Map<string, number>): Promise<number> => {
      const before = await contactsStored();
      const started = performance.now();
      for (let i = 0; i < batch.length; i += 500)
        await kafka.publisher.publishMany(batch.slice(i, i + 500).map(contactOf));
      await until('the contacts to be stored', async () => (await contactsStored()) >= before + batch.length);
      for (let i = 0; i < batch.length; i += 500) {
        const slice = batch.slice(i, i + 500);
        const now = performance.now();
        for (const r of slice) publishedAt.set(r.outreachId, now);
        await kafka.publisher.publishMany(slice.map(requestOf));
      }
      await until(`${batch.length} outreach.event SENT`, () => {
        // A request that ends otherwise never gets its SENT: say so now rather than at the timeout.
        const other = batch.find((r) => events.get(r.outreachId)?.some((e) => e.status !== 'SENT'));
        if (other) {
          const e = events.get(other.outreachId)!.find((v) => v.status !== 'SENT')!;
          throw new Error(
            `${other.outreachId} (${other.channel}): outreach.event ${e.status} ${e.reason ?? ''}`,
          );
        }
        return batch.every((r) => sentAt.has(r.outreachId));
      });
      return started;
    };

    // Warm-up: connections, schema ids, JIT.
    const warm = recipients('w', WARMUP);
    await drive(warm, new Map());

    const measured = recipients('m', N);
    const publishedAt = new Map<string, number>();
    const statements0 = await statementsOf(port);
    const cpu0 = processCpuMs(pid);
    const pg0 = await backendsCpu(db, serviceName);
    const machine0 = machineUsage();
    const self0 = process.cpuUsage();
    const loadBefore = loadAverage();
    const started = await drive(measured, publishedAt);
    const end = Math.max(...measured.map((r) => sentAt.get(r.outreachId)!));
    // The relay's last batch is marked published after the observer saw it: a moment for its statements to land.
    await sleep(300);
    const cpu1 = processCpuMs(pid);
    const pg1 = await backendsCpu(db, serviceName);
    const machine1 = machineUsage();
    const self1 = process.cpuUsage(self0);
    const statements1 = await statementsOf(port);
    const loadAfter = loadAverage();
    const perMessage = (v: number) => (v / N).toFixed(2);
    if (cpu0 !== undefined && cpu1 !== undefined)
      cost.push(
        `service CPU: ${perMessage(cpu1 - cpu0)} ms per message (pid ${pid}, ${((cpu1 - cpu0) / 1000).toFixed(1)} s)`,
      );
    else cost.push(`service (pid ${pid}): /proc not readable, no CPU figure`);
    cost.push(
      `its PostgreSQL backends' CPU: ${perMessage(backendsDelta(pg0, pg1))} ms per message (${pg1.size} backends)`,
    );
    cost.push(`this script's CPU: ${perMessage((self1.user + self1.system) / 1000)} ms per message`);
    if (machine0 && machine1)
      cost.push(
        `machine busy ${((100 * (machine1.busyMs - machine0.busyMs)) / (machine1.totalMs - machine0.totalMs)).toFixed(0)} % ` +
          `over the measured run; load average ${loadBefore} → ${loadAfter}`,
      );
    if (statements0 && statements1) {
      const kinds = [...statements1.keys()].sort();
      const delta = (k: string) => (statements1.get(k) ?? 0) - (statements0.get(k) ?? 0);
      const total = kinds.reduce((sum, k) => sum + delta(k), 0);
      cost.push(
        `SQL statements: ${perMessage(total)} per message (` +
          kinds
            .filter((k) => delta(k) > 0)
            .map((k) => `${k} ${perMessage(delta(k))}`)
            .join(', ') +
          `; explicit transactions ${perMessage(delta('begin'))})`,
      );
    } else cost.push("SQL statements: the service's /metrics could not be read");
    serviceRate = N / ((end - started) / 1000);
    rows.push({
      what: 'messaging service',
      n: N,
      perSecond: serviceRate,
      latency: percentiles(measured.map((r) => sentAt.get(r.outreachId)! - publishedAt.get(r.outreachId)!)),
      note: `first contact published → last SENT; latency request published → SENT (includes the queue); batch ${CONCURRENCY}`,
    });
    // Late duplicates would show up here.
    await sleep(1_500);
    await observer.stop();
    stopService(instance, 'SIGTERM');
    await waitForExit(instance, 15_000);
    serviceUp = false;

    // Direct: what the service sent, through providers built from the same settings.
    const providers = {
      EMAIL: new EmailProvider(
        parseEmailProviderConfig({
          host: env['SMTP_HOST'],
          port: Number(env['SMTP_PORT']),
          fromAddress: serviceEnv['SMTP_FROM_ADDRESS'],
          fromName: serviceEnv['SMTP_FROM_NAME'],
          tls: { mode: 'none' },
        }),
      ),
      SMS: new TwilioSmsProvider(
        parseTwilioSmsConfig({
          accountSid: account.accountSid,
          authToken: account.authToken,
          from: account.numbers[0],
          baseUrl: sms.url,
        }),
      ),
    };
    const sentMail = measured.find((r) => r.channel === 'EMAIL');
    const sentSms = measured.find((r) => r.channel === 'SMS');
    const mailBody = sentMail
      ? await (async () => {
          const { messages } = (await (
            await fetch(`${sinkUrl}/messages?to=${encodeURIComponent(sentMail.to)}`)
          ).json()) as { messages: Array<{ id: string }> };
          return (await (await fetch(`${sinkUrl}/messages/${messages[0]!.id}`)).json()) as {
            subject: string;
            text: string;
            html: string;
          };
        })()
      : undefined;
    const smsBody = sentSms ? sms.journal().find((m) => m.to === sentSms.to)!.body : undefined;
    const direct = recipients('d', N);
    const latencies: number[] = [];
    let next = 0;
    const directStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < direct.length) {
          const r = direct[next++]!;
          const message: OutboundMessage =
            r.channel === 'EMAIL'
              ? {
                  messageId: `${r.outreachId}.1`,
                  channel: 'EMAIL',
                  to: r.to,
                  subject: mailBody!.subject,
                  text: mailBody!.text,
                  html: mailBody!.html,
                  unsubscribeUrl: `${MINIAPP}/l/${randomBytes(32).toString('base64url')}/unsubscribe`,
                }
              : { messageId: `${r.outreachId}.1`, channel: 'SMS', to: r.to, text: smsBody! };
          const t0 = performance.now();
          const outcome = await providers[r.channel].send(message);
          latencies.push(performance.now() - t0);
          if (outcome.kind !== 'accepted')
            failures.push(`direct ${r.channel} send ${r.outreachId} answered ${outcome.kind}`);
        }
      }),
    );
    directRate = N / ((performance.now() - directStart) / 1000);
    rows.push({
      what: 'direct provider calls',
      n: N,
      perSecond: directRate,
      latency: percentiles(latencies),
      note: `EmailProvider.send / TwilioSmsProvider.send, ${CONCURRENCY} at a time; no Kafka, no ledger`,
    });

    // Checks: one SENT event per request and nothing else; one message per recipient at the sink and the simulator.
    for (const r of [...warm, ...measured]) {
      const statuses = (events.get(r.outreachId) ?? []).map((e) => e.status);
      if (statuses.length !== 1 || statuses[0] !== 'SENT')
        failures.push(
          `${r.outreachId}: outreach.event ${statuses.join(',') || 'none'} (want exactly one SENT)`,
        );
    }
    const all = [...warm, ...measured, ...direct];
    const wantMail = all.filter((r) => r.channel === 'EMAIL').map((r) => r.to);
    const wantSms = all.filter((r) => r.channel === 'SMS').map((r) => r.to);
    const { entries } = (await (await fetch(`${sinkUrl}/_sim/journal`)).json()) as {
      entries: Array<{ envelope: { mailFrom: string | null; rcptTo: string[] } }>;
    };
    const ours = (from: string | null) => from === serviceEnv['SMTP_FROM_ADDRESS'];
    const ofRun = (e: { envelope: { rcptTo: string[] } }) =>
      e.envelope.rcptTo.filter((to) => to.startsWith(`bench-${run}-`));
    const mailed = entries.filter((e) => ours(e.envelope.mailFrom)).flatMap(ofRun);
    const foreign = entries.filter((e) => !ours(e.envelope.mailFrom)).flatMap(ofRun).length;
    const texted = sms.journal().map((m) => m.to);
    const compare = (what: string, want: string[], got: string[]): void => {
      const counts = new Map<string, number>();
      for (const to of got) counts.set(to, (counts.get(to) ?? 0) + 1);
      const wrong = want.filter((to) => counts.get(to) !== 1);
      if (got.length !== want.length || wrong.length > 0)
        failures.push(
          `${what}: ${got.length} messages for ${want.length} sends, ${wrong.length} recipients without exactly one (${wrong
            .slice(0, 3)
            .map((to) => `${to}: ${counts.get(to) ?? 0}`)
            .join(', ')})`,
        );
    };
    compare('SMTP sink journal', wantMail, mailed);
    compare('SMS simulator journal', wantSms, texted);
    console.log(
      `journals: SMTP sink ${mailed.length} of this run (want ${wantMail.length}), SMS simulator ${texted.length} (want ${wantSms.length})` +
        (foreign > 0
          ? `; ${foreign} more mails to this run's recipients from another sender: another messaging instance consumed the shared topics, on the same CPUs`
          : ''),
    );
  } finally {
    if (serviceUp) {
      stopService(instance, 'SIGTERM');
      await waitForExit(instance, 15_000);
    }
    await kafka.close();
    await sms.close();
    if (process.env['BENCH_KEEP'] !== '1')
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.end();
  }

  const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
  console.log(
    `\n${'path'.padEnd(24)} ${'n'.padStart(6)} ${'msg/s'.padStart(8)} ${'p50'.padStart(10)} ${'p95'.padStart(10)} ${'p99'.padStart(10)}  note`,
  );
  for (const r of rows)
    console.log(
      `${r.what.padEnd(24)} ${String(r.n).padStart(6)} ${r.perSecond.toFixed(0).padStart(8)} ${ms(r.latency.p50)} ${ms(r.latency.p95)} ${ms(r.latency.p99)}  ${r.note}`,
    );
  if (cost.length > 0) console.log(`\nwhat the service cost over the measured run:\n  ${cost.join('\n  ')}`);
  const ratio = serviceRate / directRate;
  console.log(
    `\nN=${N}, concurrency=${CONCURRENCY}, machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})` +
      `\nservice ${serviceRate.toFixed(0)} msg/s (target ≥ ${TARGET_RATE}: ${serviceRate >= TARGET_RATE ? 'met' : 'NOT met'}), ` +
      `direct ${directRate.toFixed(0)} msg/s, ratio ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
  if (failures.length > 0) {
    console.error(`\nchecks failed (${failures.length}):\n  ${failures.slice(0, 20).join('\n  ')}`);
    process.exitCode = 1;
  } else console.log('checks: every request has exactly one SENT; the journals hold one message per send');
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

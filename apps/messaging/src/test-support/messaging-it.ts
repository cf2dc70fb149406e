/**
 * Test support for the messaging integration specs: the service under test (its own AppModule listening on HTTP as
 * main.ts configures it, against the devstack's Kafka, registry and PostgreSQL, with a simulated SMS provider and,
 * when asked, a simulated WhatsApp provider), the customers and requests a spec publishes to it, the devstack's SMTP
 * sink read API, a free port, waiting for a condition, and a clock a test moves. Not imported by the service.
 */
import { createServer, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { loadConfig } from '@closeout/config';
import {
  Topics,
  type CustomerContact,
  type OutreachEvent,
  type OutreachRequested,
} from '@closeout/contracts';
import { KafkaClient, kafkaConnectionFromEnv, positionGroupsAtEnd, type Subscription } from '@closeout/kafka';
import { configureHttp } from '@closeout/platform';
import {
  startSmsProvider,
  type SmsProvider,
  type SmsProviderAccount,
} from '@closeout/simulators/sms-provider';
import {
  startWhatsAppProvider,
  type WhatsAppProvider,
  type WhatsAppProviderOptions,
} from '@closeout/simulators/whatsapp-provider';
import { AppModule } from '../app.module';
import { systemClock, type Clock } from '../clock/clock';
import { configSchema } from '../config';
import { messagingHttpOptions } from '../http-options';

export interface StoredMail {
  id: string;
  from: string[];
  subject: string | null;
  headers: Record<string, string[]>;
  text: string | null;
  html: string | null;
}

/** The mails the SMTP sink (`SMTP_SINK_URL`) holds for `address`; with `from`, only those sent from that address. */
export async function mailTo(address: string, from?: string): Promise<StoredMail[]> {
  const sinkUrl = process.env['SMTP_SINK_URL'] ?? 'http://127.0.0.1:8025';
  const res = await fetch(`${sinkUrl}/messages?to=${encodeURIComponent(address)}`);
  const { messages } = (await res.json()) as { messages: { id: string }[] };
  const mails = await Promise.all(
    messages.map(async ({ id }) => (await (await fetch(`${sinkUrl}/messages/${id}`)).json()) as StoredMail),
  );
  return from === undefined ? mails : mails.filter((m) => m.from.includes(from));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (service log: ${process.env['LOG_FILE']})`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A clock that runs at the real pace from wherever a test sets it. */
export class MovableClock implements Clock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  /** From now on the clock reads `at`, and runs on from there. */
  set(at: number): void {
    this.offset = at - Date.now();
  }
}

/** The mini-app's public base URL every spec configures; the links in messages start with it. */
export const MINIAPP = 'https://app.closeout.test';

/** A fixed-offset zone where it is now early afternoon: quiet hours never hold a send back there. */
export function afternoonZone(): string {
  const offset = 13 - new Date().getUTCHours(); // local = UTC + offset
  const wrapped = ((offset + 11 + 24) % 24) - 11; // -11 … +12
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
  return wrapped === 0 ? 'Etc/UTC' : `Etc/GMT${wrapped > 0 ? '-' : '+'}${Math.abs(wrapped)}`;
}

export const newPhone = (): string => `+447400${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
export const newEmail = (): string => `customer-${randomUUID()}@example.com`;

type Channel = 'SMS' | 'EMAIL' | 'WHATSAPP';

/** A consent a customer gives: a channel for the run's purpose, or a channel, purpose and whether it is granted. */
export type ConsentGiven = Channel | { channel: Channel; purpose: string; granted?: boolean };

export interface MessagingUnderTestOptions {
  /** This run's id: in the customer, case and outreach ids, and the ids of the providers' credentials. */
  run: string;
  /** Names the run's service (`<name>-<run>`, hence its consumer groups) and schema (`<name>_<run>`, dashes as `_`). */
  name: string;
  /** This run's sender: other services on the shared devstack may mail the same recipients. */
  from: string;
  smsAccount: SmsProviderAccount;
  /** The customers' time zone. */
  timeZone: string;
  /** The purpose of requests and of consents given as a bare channel (default servicing-collections). */
  purpose?: string;
  /** How long a request's link is valid, from the clock's now (default 7 days). */
  linkValidMs?: number;
  /** The service's clock (default the system clock); the simulators read it too. */
  clock?: Clock;
  /** Collect this run's outreach.events from the topic (`events`, `eventsOf`). */
  observeEvents?: boolean;
  /** Start the simulated WhatsApp Cloud API and configure the service for it. */
  whatsApp?: Pick<WhatsAppProviderOptions, 'accessToken' | 'appSecret' | 'phoneNumberId' | 'templates'> & {
    verifyToken: string;
  };
  /** Configuration beyond (or instead of) the defaults. */
  env?: Record<string, string>;
}

export interface MessagingUnderTest {
  /** The service's HTTP base URL. */
  readonly base: string;
  readonly app: INestApplication;
  /** The service's database (its own schema); a new one after `restart`. */
  readonly db: DataSource;
  readonly kafka: KafkaClient;
  readonly sms: SmsProvider;
  /** Started only with the `whatsApp` option. */
  readonly wa: WhatsAppProvider | undefined;
  /** This run's outreach.events as observed on the topic (with `observeEvents`). */
  readonly events: OutreachEvent[];
  /** A customer of this run with the contact points and consents given, once the service holds the contact. */
  customer(
    contact: Partial<Pick<CustomerContact, 'email' | 'phone'>>,
    consents: ConsentGiven[],
  ): Promise<string>;
  /** A new outreach request of this run (not yet published). */
  outreach(customerId: string, channel: Channel): OutreachRequested;
  publish(request: OutreachRequested): Promise<unknown>;
  /**
   * The outreach.events published for a case by this service (with `observeEvents`): those its outbox holds (other
   * services on the shared devstack may answer the same requests).
   */
  eventsOf(caseId: string): Promise<OutreachEvent[]>;
  /** Closes the service and starts it again on the same port, configuration and clock. */
  restart(): Promise<void>;
  /** Drops the schema and stops the service, the observer, the Kafka client and the simulators. */
  close(): Promise<void>;
}

/** The messaging service in-process for a spec, with what it needs started around it. */
export async function startMessagingUnderTest(
  options: MessagingUnderTestOptions,
): Promise<MessagingUnderTest> {
  const { run, from, smsAccount, whatsApp } = options;
  const serviceName = `${options.name}-${run}`;
  const schema = serviceName.replace(/-/g, '_');
  const purpose = options.purpose ?? 'servicing-collections';
  const linkValidMs = options.linkValidMs ?? 7 * 86_400_000;
  const clock = options.clock ?? systemClock;
  const now = options.clock ? () => clock.now() : undefined;
  const events: OutreachEvent[] = [];
  let app: INestApplication | undefined;
  let db: DataSource | undefined;
  let kafka: KafkaClient | undefined;
  let observer: Subscription | undefined;
  let sms: SmsProvider | undefined;
  let wa: WhatsAppProvider | undefined;
  let cases = 0;

  const close = async (): Promise<void> => {
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await app?.close();
    await observer?.stop();
    await kafka?.close();
    await sms?.close();
    await wa?.close();
  };

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let listen: () => Promise<void>;
  try {
    // The service answers opt-outs itself (one confirmation), so the simulator does not unsubscribe the sender.
    sms = await startSmsProvider({
      account: smsAccount,
      inboundWebhookUrl: `${base}/webhooks/sms/twilio`,
      keywordOptOut: false,
      ...(now ? { now } : {}),
    });
    if (whatsApp)
      wa = await startWhatsAppProvider({
        accessToken: whatsApp.accessToken,
        appSecret: whatsApp.appSecret,
        phoneNumberId: whatsApp.phoneNumberId,
        webhookUrl: `${base}/webhooks/whatsapp/whatsapp-cloud`,
        ...(whatsApp.templates ? { templates: whatsApp.templates } : {}),
        ...(now ? { now } : {}),
      });
    const config = loadConfig(configSchema, {
      ...process.env,
      SERVICE_NAME: serviceName,
      HTTP_PORT: '3103',
      MESSAGING_DB_SCHEMA: schema,
      MINIAPP_BASE_URL: MINIAPP,
      MESSAGING_WORKER_POLL_MS: '100',
      // Requests of other runs sharing the topic find no contact here: they wait, silently, past the suite's end.
      MESSAGING_CONTACT_WAIT_MS: '3600000',
      SMTP_FROM_ADDRESS: from,
      SMTP_FROM_NAME: 'Closeout Bank',
      SMTP_TLS_MODE: 'none',
      TWILIO_ACCOUNT_SID: smsAccount.accountSid,
      TWILIO_AUTH_TOKEN: smsAccount.authToken,
      TWILIO_FROM: smsAccount.numbers[0],
      TWILIO_BASE_URL: sms.url,
      TWILIO_STATUS_CALLBACK_URL: `${base}/webhooks/sms/twilio`,
      ...(whatsApp && wa
        ? {
            WHATSAPP_PHONE_NUMBER_ID: whatsApp.phoneNumberId,
            WHATSAPP_ACCESS_TOKEN: whatsApp.accessToken,
            WHATSAPP_APP_SECRET: whatsApp.appSecret,
            WHATSAPP_BASE_URL: wa.url,
            WHATSAPP_VERIFY_TOKEN: whatsApp.verifyToken,
          }
        : {}),
      MESSAGING_PUBLIC_BASE_URL: base,
      ...options.env,
    });
    const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
    if (!registryUrl) throw new Error('SCHEMA_REGISTRY_URL: must be set (the devstack env)');
    const connection = kafkaConnectionFromEnv(process.env);
    await positionGroupsAtEnd(connection, [
      { groupId: `${serviceName}.customer-contact`, topic: Topics.customerContact },
      { groupId: `${serviceName}.outreach-requested`, topic: Topics.outreachRequested },
    ]);
    kafka = new KafkaClient({
      clientId: serviceName,
      ...connection,
      schemaRegistryUrl: registryUrl,
      topics: [
        Topics.customerContact,
        Topics.outreachRequested,
        ...(options.observeEvents ? [Topics.outreachEvent] : []),
      ],
    });
    await kafka.start();
    if (options.observeEvents) {
      observer = await kafka.subscriber.subscribe({
        groupId: `${serviceName}.observer`,
        topic: Topics.outreachEvent,
        handler: async ({ value }) => void (value.caseId.includes(run) && events.push(value)),
      });
      await observer.whenPositioned();
    }
    listen = async () => {
      app = await NestFactory.create(AppModule.register(config, options.clock ? { clock } : {}), {
        logger: false,
        bodyParser: false,
      });
      // As main.ts: raw bodies for the webhooks and the unsubscribe, bearer tokens on the internal API.
      configureHttp(app, messagingHttpOptions(config));
      await app.listen(port, '127.0.0.1');
      db = app.get(DataSource);
    };
    await listen();
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }

  const client = kafka;
  const running = (): { app: INestApplication; db: DataSource } => {
    if (!app || !db) throw new Error(`the service ${serviceName} is not running (closed, or restarting)`);
    return { app, db };
  };
  const database = () => running().db;
  const publish = (request: OutreachRequested) =>
    client.publisher.publish(Topics.outreachRequested, { caseId: request.caseId }, request, {
      correlationId: request.correlationId,
    });

  return {
    base,
    get app() {
      return running().app;
    },
    get db() {
      return database();
    },
    kafka: client,
    sms,
    wa,
    events,
    async customer(contact, consents) {
      const customerId = `cust-${run}-${randomUUID().slice(0, 8)}`;
      const statedAt = Date.now() - 60_000;
      const value: CustomerContact = {
        eventId: `cc-${randomUUID()}`,
        occurredAt: statedAt,
        correlationId: `corr-${customerId}`,
        causationId: null,
        customerId,
        sourceSystem: 'billing-core',
        sourceEventId: `evt-${customerId}`,
        email: contact.email ?? null,
        phone: contact.phone ?? null,
        timeZone: options.timeZone,
        locale: 'en-GB',
        consents: consents.map((c) => {
          const given = typeof c === 'string' ? { channel: c, purpose } : c;
          return {
            channel: given.channel,
            purpose: given.purpose,
            granted: given.granted ?? true,
            source: 'online-banking',
            statedAt,
          };
        }),
      };
      await client.publisher.publish(Topics.customerContact, { customerId }, value, {
        correlationId: value.correlationId,
      });
      await until(
        `the contact of ${customerId}`,
        async () => {
          const rows: unknown[] = await database().query('SELECT 1 FROM contact WHERE customer_id = $1', [
            customerId,
          ]);
          return rows.length > 0 ? true : undefined;
        },
        60_000,
      );
      return customerId;
    },
    outreach(customerId, channel) {
      const caseId = `case-${run}-${++cases}`;
      const outreachId = `out-${run}-${cases}`;
      return {
        eventId: `orq_${outreachId}`,
        occurredAt: Date.now(),
        correlationId: caseId,
        causationId: null,
        idempotencyKey: `${outreachId}:1`,
        caseId,
        workflowId: 'failed-payment-recovery',
        outreachId,
        customerId,
        channel,
        templateId: 'failed-payment-recovery.v1',
        purpose,
        attempt: 1,
        linkExpiresAt: clock.now() + linkValidMs,
      };
    },
    publish,
    async eventsOf(caseId) {
      if (!options.observeEvents) throw new Error('eventsOf: needs observeEvents: true');
      const rows: Array<{ id: string }> = await database().query(
        `SELECT value->>'eventId' AS id FROM outbox WHERE topic = $1 AND value->>'caseId' = $2`,
        [Topics.outreachEvent, caseId],
      );
      const mine = new Set(rows.map((r) => r.id));
      return events.filter((e) => e.caseId === caseId && mine.has(e.eventId));
    },
    async restart() {
      await app?.close();
      app = undefined;
      db = undefined;
      await listen();
    },
    close,
  };
}

/**
 * Test support for the mini-app's integration specs: the service in-process (its AppModule listening on HTTP as
 * main.ts configures it, on the devstack's Kafka, registry and PostgreSQL, in a schema of its own), and small local
 * HTTP servers that speak the orchestrator's eligible-actions API and messaging's internal API exactly as agreed
 * (they are other services). Not imported by the service.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { loadConfig } from '@closeout/config';
import { Topics } from '@closeout/contracts';
import { kafkaConnectionFromEnv, positionGroupsAtEnd } from '@closeout/kafka';
import { configureHttp } from '@closeout/platform';
import { AppModule } from '../app.module';
import { configSchema } from '../config';
import { FORM_ROUTE_PREFIXES } from '../http/routes';
import { LinkEventsConsumer } from '../links/link-events.consumer';
import { miniAppModuleOptions } from '../wiring';
import { linkTokenSha256 } from '../links/link-token';
import type { EligibleActions } from '../clients/orchestrator.client';

export interface Stub {
  url: string;
  calls: Array<{ method: string; path: string; auth: string | undefined; body: string }>;
  close(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<Stub> {
  const calls: Stub['calls'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      calls.push({ method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** The orchestrator's `GET /v1/cases/{caseId}/eligible-actions` (interfaces §3), answering what `answers` holds. */
export function startOrchestratorStub(token: string, answers: Map<string, EligibleActions>): Promise<Stub> {
  return listen((req, _body, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { title: 'Unauthorized' });
    const m = /^\/v1\/cases\/([^/]+)\/eligible-actions$/.exec(req.url ?? '');
    const answer = m ? answers.get(decodeURIComponent(m[1]!)) : undefined;
    if (!answer) return json(res, 404, { type: 'about:blank', title: 'Not Found', status: 404 });
    json(res, 200, answer);
  });
}

/** Messaging's internal API (interfaces §5): records each code it is asked to send, answers 202 / 200. */
export function startMessagingStub(token: string, codes: Map<string, string[]>): Promise<Stub> {
  return listen((req, body, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { title: 'Unauthorized' });
    const code = /^\/internal\/v1\/links\/([0-9a-f]{64})\/one-time-code$/.exec(req.url ?? '');
    if (code && req.method === 'POST') {
      const parsed = JSON.parse(body) as { code: string };
      codes.set(code[1]!, [...(codes.get(code[1]!) ?? []), parsed.code]);
      return json(res, 202, { channel: 'SMS', sentTo: '•••••••42' });
    }
    if (/^\/internal\/v1\/links\/[0-9a-f]{64}\/opt-out$/.test(req.url ?? '') && req.method === 'POST')
      return json(res, 200, { optedOut: true, alreadyOptedOut: false });
    json(res, 404, { title: 'Not Found' });
  });
}

export interface MiniAppUnderTest {
  base: string;
  app: INestApplication;
  db: DataSource;
  orchestrator: Stub;
  messaging: Stub;
  /** Eligible-actions answers by case id. */
  eligibility: Map<string, EligibleActions>;
  /** Codes messaging was asked to send, by link hash. */
  codes: Map<string, string[]>;
  /** A new link of this run, recorded as messaging's SENT event would (the consumer's handler): its token. */
  sentLink(options?: {
    caseId?: string;
    workflowId?: string;
    expiresInMs?: number;
    customerId?: string;
  }): Promise<{ token: string; caseId: string; customerId: string }>;
  close(): Promise<void>;
}

/**
 * The service as main.ts wires it (miniAppModuleOptions: the forms, the document store, the scanner the config asks
 * for). `env` may be a function of the service's base URL, for what must know it first (the card processor's
 * return origins).
 */
export async function startMiniAppUnderTest(
  run: string,
  env: Record<string, string> | ((base: string) => Promise<Record<string, string>>) = {},
): Promise<MiniAppUnderTest> {
  const serviceName = `mini-app-it-${run}`;
  const schema = serviceName.replace(/-/g, '_');
  const orchestratorToken = `orch-${randomUUID()}`;
  const messagingToken = `msg-${randomUUID()}`;
  const eligibility = new Map<string, EligibleActions>();
  const codes = new Map<string, string[]>();
  const orchestrator = await startOrchestratorStub(orchestratorToken, eligibility);
  const messaging = await startMessagingStub(messagingToken, codes);
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const extra = typeof env === 'function' ? await env(base) : env;
  const config = loadConfig(configSchema, {
    ...process.env,
    SERVICE_NAME: serviceName,
    HTTP_PORT: String(port),
    MINIAPP_DB_SCHEMA: schema,
    MINIAPP_PUBLIC_BASE_URL: base,
    ORCHESTRATOR_URL: orchestrator.url,
    MINIAPP_ORCHESTRATOR_TOKEN: orchestratorToken,
    MESSAGING_INTERNAL_URL: messaging.url,
    MINIAPP_MESSAGING_TOKEN: messagingToken,
    MINIAPP_OTP_KEY: randomBytes(32).toString('hex'),
    ...extra,
  });
  await positionGroupsAtEnd(kafkaConnectionFromEnv(process.env), [
    { groupId: `${serviceName}.outreach-event`, topic: Topics.outreachEvent },
    { groupId: `${serviceName}.case-state`, topic: Topics.caseState },
    { groupId: `${serviceName}.customer-facts`, topic: Topics.customerFacts },
  ]);
  const app = await NestFactory.create(AppModule.register(config, miniAppModuleOptions(config)), {
    logger: false,
    bodyParser: false,
  });
  configureHttp(app, { rawBodyPrefixes: FORM_ROUTE_PREFIXES });
  await app.listen(port, '127.0.0.1');
  const db = app.get(DataSource);
  const consumer = app.get(LinkEventsConsumer);
  let cases = 0;
  return {
    base,
    app,
    db,
    orchestrator,
    messaging,
    eligibility,
    codes,
    async sentLink(options = {}) {
      const token = randomBytes(32).toString('base64url');
      const caseId = options.caseId ?? `case-${run}-${++cases}`;
      const customerId = options.customerId ?? `cust-${run}-${cases}`;
      await consumer.recordOutreachEvents([
        {
          eventId: `oe-${randomUUID()}`,
          occurredAt: Date.now(),
          correlationId: caseId,
          causationId: null,
          caseId,
          outreachId: `out-${caseId}`,
          channel: 'SMS',
          status: 'SENT',
          providerRef: null,
          reason: null,
          fallbackChannel: null,
          link: {
            tokenSha256: linkTokenSha256(token),
            customerId,
            workflowId: options.workflowId ?? 'failed-payment-recovery',
            purpose: 'servicing-collections',
            expiresAt: Date.now() + (options.expiresInMs ?? 3_600_000),
            locale: 'en',
          },
        } as Parameters<LinkEventsConsumer['recordOutreachEvents']>[0][number],
      ]);
      return { token, caseId, customerId };
    },
    async close() {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await app.close();
      await orchestrator.close();
      await messaging.close();
    },
  };
}

/** A browser-like client of one customer: keeps the session cookie, sends our Origin on POSTs, never follows redirects. */
export class Customer {
  cookie: string | undefined;
  setCookie: string | undefined;

  constructor(private readonly base: string) {}

  async get(path: string): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(`${this.base}${path}`, {
      redirect: 'manual',
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  async post(
    path: string,
    form: Record<string, string>,
    origin: string | null = this.base,
  ): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(`${this.base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(origin ? { origin } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });
    const set = res.headers.get('set-cookie');
    if (set && res.status === 303) {
      this.setCookie = set;
      this.cookie = set.split(';')[0];
    }
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  /** The CSRF token of the forms on a page. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1]!;
  }
}

export function eligibleFor(
  caseId: string,
  identity: EligibleActions['identity']['method'],
  awaiting = true,
): EligibleActions {
  return {
    caseId,
    workflowId: 'failed-payment-recovery',
    definitionVersion: '1',
    state: awaiting ? 'AWAITING_CUSTOMER' : 'OUTREACH',
    awaitingCustomer: awaiting,
    identity: { method: identity },
    amount: { amountMinor: 4999, currency: 'GBP' },
    actions: awaiting
      ? [
          {
            actionId: 'update-card',
            action: 'card.update',
            label: 'Replace your card',
            identity,
            parameterRules: [],
          },
        ]
      : [],
  };
}

/**
 * Customer journeys per second through the mini-app: link opened → verified → action published, over HTTP against
 * the service running as its own process, the way a customer's browser (without JavaScript) goes through the pages.
 *
 *   node_modules/.bin/node -r @swc-node/register tools/bench/miniapp.bench.ts [N=1000] [C=32] [otp|otp+facts]
 *
 * - service: mini-app-backend as its own process (`tools/demo/services.ts`), a PostgreSQL schema and consumer groups of
 *   its own, on the devstack's Kafka, registry and PostgreSQL. The orchestrator's eligible-actions API and messaging's
 *   internal API are other services: small in-process stand-ins speaking the agreed contracts answer for them (the
 *   case awaits the customer, one eligible action, `confirm-address` / address.confirm, identity OTP or
 *   OTP_AND_KNOWN_FACT; messaging keeps the codes it was asked to send, and the simulated customer reads its own).
 * - seeding, through the real path: one outreach.event.v1 SENT carrying `link` per journey (and, for otp+facts, one
 *   customer.facts.v1 per customer with the date of birth and postcode hashed once with hashKnownFact and reused:
 *   scrypt is deliberately slow) published to Kafka; the run starts once the service holds every link (and facts).
 * - journeys, C at a time over keep-alive connections: GET /l/<token> → POST it (Continue, with our Origin) →
 *   GET /s/verify (the code page) → POST send-code → POST the code → [GET /s/verify (the facts page) → POST the
 *   facts] → GET /s/verify (303 to the actions) → GET /s/actions → POST the address form → GET /s/done. Every
 *   request is bounded (10 s) and checked: its status, its redirect and the page it should be.
 * Prints journeys/s (completed journeys over the wall time of the measured run, after a warm-up), journey
 * p50/p95/p99, journey start → its miniapp.action seen on Kafka, p50/p95/p99 per step, requests/s, the service's CPU
 * time and RSS (from /proc), this script's CPU and the machine's; then checks that every journey's action was
 * published exactly once on miniapp.action.v1 (warm-up included) and exits non-zero otherwise or when a journey
 * failed. A TARGET line: ≥ 200 journeys/s, met or NOT met.
 * Needs the devstack (`tools/devstack/devstack up`). Everything runs on 127.0.0.1. `BENCH_KEEP=1` keeps the schema;
 * NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR" profiles the service too (it inherits the environment).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { Topics, type CustomerFacts, type MiniappAction, type OutreachEvent } from '@closeout/contracts';
import {
  KafkaClient,
  kafkaConnectionFromEnv,
  positionGroupsAtEnd,
  type OutgoingEvent,
} from '@closeout/kafka';
import { hashKnownFact, type HashedKnownFact } from '@closeout/privacy';
import { configureLogging } from '@closeout/telemetry';
import {
  devstackEnv,
  logFile,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from '../demo/services';
import { freePort } from '../e2e/case-stack';
import { percentiles } from './figures';

type Profile = 'otp' | 'otp+facts';
const N = Number(process.argv[2] ?? 1_000);
const C = Number(process.argv[3] ?? 32);
const PROFILE = (process.argv[4] ?? 'otp') as Profile;
const WARMUP = Math.min(100, Math.max(10, Math.floor(N / 10)));
const TARGET = 200;
const DB_STATEMENTS = 'miniapp_db_statements_total';
const REQUEST_TIMEOUT_MS = 10_000;
const ACTION_ID = 'confirm-address';
const ACTION = 'address.confirm';
const WORKFLOW = 'address-update';
const FACTS = { dateOfBirth: '1984-03-09', postalCode: 'SW1A 1AA' };
const ADDRESS = { line1: '10 Downing Street', city: 'London', postalCode: 'SW1A 2AA', country: 'GB' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// ── the stand-ins for the other services ──────────────────────────────────────────────────────────────────────────

interface StandIn {
  url: string;
  /** Requests answered. */
  readonly calls: number;
  /** TCP connections the service opened to it (fewer than calls: keep-alive reuses them). */
  readonly connections: number;
  close(): Promise<void>;
}

async function serve(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<StandIn> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    calls++;
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
      if (body.length > 4096) req.destroy();
    });
    req.on('end', () => handler(req, body, res));
  });
  let connections = 0;
  server.on('connection', () => connections++);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** The orchestrator's GET /v1/cases/{caseId}/eligible-actions (interfaces §3) for the run's cases. */
function orchestratorStandIn(token: string, cases: Set<string>, method: string): Promise<StandIn> {
  return serve((req, _body, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { title: 'Unauthorized' });
    const m = /^\/v1\/cases\/([^/]{1,128})\/eligible-actions$/.exec(req.url ?? '');
    const caseId = m ? decodeURIComponent(m[1]!) : undefined;
    if (req.method !== 'GET' || !caseId || !cases.has(caseId))
      return json(res, 404, { type: 'about:blank', title: 'Not Found', status: 404 });
    json(res, 200, {
      caseId,
      workflowId: WORKFLOW,
      definitionVersion: '1',
      state: 'AWAITING_CUSTOMER',
      awaitingCustomer: true,
      identity: { method },
      amount: null,
      actions: [
        {
          actionId: ACTION_ID,
          action: ACTION,
          label: 'Confirm your current address',
          identity: method,
          parameterRules: ['line1', 'city', 'postalCode', 'country'].map((field) => ({
            field,
            operator: 'present',
            value: true,
          })),
        },
      ],
    });
  });
}

/** Messaging's internal API (interfaces §5): keeps the codes it is asked to send, by link hash. */
function messagingStandIn(token: string, codes: Map<string, string>): Promise<StandIn> {
  return serve((req, body, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { title: 'Unauthorized' });
    const m = /^\/internal\/v1\/links\/([0-9a-f]{64})\/one-time-code$/.exec(req.url ?? '');
    if (m && req.method === 'POST') {
      const code = (JSON.parse(body) as { code?: unknown }).code;
      if (typeof code !== 'string' || !/^\d{6}$/.test(code))
        return json(res, 400, { title: 'Bad Request', detail: 'code must be exactly 6 digits' });
      codes.set(m[1]!, code);
      return json(res, 202, { channel: 'SMS', sentTo: '•••••••42' });
    }
    json(res, 404, { title: 'Not Found' });
  });
}

// ── the simulated customer's HTTP ────────────────────────────────────────────────────────────────────────────────

interface Answer {
  status: number;
  location: string | undefined;
  setCookie: string | undefined;
  body: string;
}

class JourneyFailed extends Error {}

/** Keep-alive HTTP/1.1 to the service, C sockets, every request bounded. node:http: less client CPU than fetch. */
class Http {
  private readonly agent: Agent;

  constructor(
    private readonly base: URL,
    sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  call(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > 1024 * 1024) req.destroy(new Error(`${method} ${path}: answer over 1 MiB`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const cookie = res.headers['set-cookie'];
            resolve({
              status: res.statusCode ?? 0,
              location: res.headers.location,
              setCookie: cookie?.[0],
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

interface Journey {
  token: string;
  tokenSha256: string;
  caseId: string;
  customerId: string;
  startedAt?: number;
  doneAt?: number;
}

type Step =
  | 'open'
  | 'continue'
  | 'verify (code page)'
  | 'send-code'
  | 'code'
  | 'verify (facts page)'
  | 'facts'
  | 'verify (→ actions)'
  | 'actions'
  | 'act'
  | 'done';

const STEPS: Step[] = [
  'open',
  'continue',
  'verify (code page)',
  'send-code',
  'code',
  'verify (facts page)',
  'facts',
  'verify (→ actions)',
  'actions',
  'act',
  'done',
];

async function runJourney(
  http: Http,
  base: string,
  j: Journey,
  codes: Map<string, string>,
  withFacts: boolean,
  timings: Map<Step, number[]>,
): Promise<number> {
  const jar: { cookie?: string } = {};
  let requests = 0;
  const step = async (
    name: Step,
    method: 'GET' | 'POST',
    path: string,
    form: Record<string, string> | undefined,
    want: { status: number; location?: string; contains?: string },
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (jar.cookie) headers['cookie'] = jar.cookie;
    let body: string | undefined;
    if (method === 'POST') {
      headers['origin'] = base;
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form ?? {}).toString();
    }
    const t0 = performance.now();
    const answer = await http.call(method, path, headers, body);
    timings.get(name)!.push(performance.now() - t0);
    requests++;
    const problem =
      answer.status !== want.status
        ? `status ${answer.status}, want ${want.status}`
        : want.location !== undefined && answer.location !== want.location
          ? `location ${answer.location ?? 'none'}, want ${want.location}`
          : want.contains !== undefined && !answer.body.includes(want.contains)
            ? `the page lacks ${JSON.stringify(want.contains)}`
            : undefined;
    if (problem)
      throw new JourneyFailed(
        `${j.caseId} ${name} (${method} ${path.replace(j.token, '<token>')}): ${problem}` +
          (answer.status >= 400 ? ` — ${/<h1[^>]*>([^<]*)</.exec(answer.body)?.[1] ?? ''}` : ''),
      );
    return answer;
  };
  const csrfOf = (html: string): string => {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new JourneyFailed(`${j.caseId}: no CSRF field on the page`);
    return m[1]!;
  };

  await step('open', 'GET', `/l/${j.token}`, undefined, {
    status: 200,
    contains: `<form method="post"`,
  });
  const opened = await step('continue', 'POST', `/l/${j.token}`, {}, { status: 303, location: '/s/verify' });
  if (!opened.setCookie?.startsWith('__Host-closeout_session='))
    throw new JourneyFailed(`${j.caseId} continue: no session cookie`);
  jar.cookie = opened.setCookie.split(';')[0];
  const codePage = await step('verify (code page)', 'GET', '/s/verify', undefined, {
    status: 200,
    contains: 'action="/s/verify/send-code"',
  });
  const csrf = csrfOf(codePage.body);
  await step(
    'send-code',
    'POST',
    '/s/verify/send-code',
    { _csrf: csrf },
    {
      status: 200,
      contains: 'action="/s/verify/code"',
    },
  );
  const code = codes.get(j.tokenSha256);
  if (!code) throw new JourneyFailed(`${j.caseId}: messaging was not asked to send a code`);
  await step('code', 'POST', '/s/verify/code', { _csrf: csrf, code }, { status: 303, location: '/s/verify' });
  if (withFacts) {
    await step('verify (facts page)', 'GET', '/s/verify', undefined, {
      status: 200,
      contains: 'action="/s/verify/facts"',
    });
    await step(
      'facts',
      'POST',
      '/s/verify/facts',
      { _csrf: csrf, ...FACTS },
      { status: 303, location: '/s/verify' },
    );
  }
  await step('verify (→ actions)', 'GET', '/s/verify', undefined, { status: 303, location: '/s/actions' });
  const actions = await step('actions', 'GET', '/s/actions', undefined, {
    status: 200,
    contains: `action="/s/actions/${ACTION_ID}"`,
  });
  await step(
    'act',
    'POST',
    `/s/actions/${ACTION_ID}`,
    { _csrf: csrfOf(actions.body), ...ADDRESS },
    {
      status: 303,
      location: '/s/done',
    },
  );
  await step('done', 'GET', '/s/done', undefined, { status: 200, contains: 'Thank you' });
  return requests;
}

// ── /proc ────────────────────────────────────────────────────────────────────────────────────────────────────────

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** A process's user+system CPU in ms and its RSS in MiB, or undefined where /proc cannot be read. */
function processUsage(
  pid: number,
): { cpuMs: number; systemMs: number; rssMiB: number; hwmMiB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const systemMs = (Number(fields[12]) * 1000) / CLOCK_TICKS;
    const cpuMs = (Number(fields[11]) * 1000) / CLOCK_TICKS + systemMs;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { cpuMs, systemMs, rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU ms of each PostgreSQL backend serving `applicationName` (same host: the devstack runs PostgreSQL locally). */
async function backendsCpu(db: Client, applicationName: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1`,
    [applicationName],
  );
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const usage = processUsage(pid);
    if (usage) out.set(pid, usage.cpuMs);
  }
  return out;
}

/** The machine's busy and total CPU time in ms (all CPUs), from /proc/stat. */
function machineUsage(): { busyMs: number; totalMs: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    const idle = (t[3] ?? 0) + (t[4] ?? 0);
    return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS, totalMs: (total * 1000) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** The service's `miniapp_db_statements_total` by kind, from its /metrics; undefined when it cannot be read. */
async function statementsOf(base: string): Promise<Map<string, number> | undefined> {
  try {
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!res.ok) return undefined;
    const out = new Map<string, number>();
    for (const m of (await res.text()).matchAll(/^miniapp_db_statements_total\{kind="([a-z]+)"\} (\d+)$/gm))
      out.set(m[1]!, Number(m[2]));
    return out;
  } catch {
    return undefined;
  }
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 10 || N > 20_000)
    throw new Error(`N must be an integer from 10 to 20,000, got ${process.argv[2]}`);
  if (!Number.isInteger(C) || C < 1 || C > 256)
    throw new Error(`C must be an integer from 1 to 256, got ${process.argv[3]}`);
  if (PROFILE !== 'otp' && PROFILE !== 'otp+facts')
    throw new Error(`the profile must be otp or otp+facts, got ${process.argv[4]}`);
  const withFacts = PROFILE === 'otp+facts';
  const method = withFacts ? 'OTP_AND_KNOWN_FACT' : 'OTP';
  configureLogging({ level: 'warn', service: 'bench' });
  const env = devstackEnv();
  for (const key of ['DATABASE_URL', 'SCHEMA_REGISTRY_URL', 'KAFKA_BROKERS'])
    if (!/^((postgres|http):\/\/([^@/]+@)?)?127\.0\.0\.1([:/]|$)/.test(env[key] ?? ''))
      throw new Error(`${key} must point at 127.0.0.1 (devstack env gives ${env[key]})`);
  const run = randomBytes(3).toString('hex');
  const serviceName = `mini-app-b${run}`;
  const schema = `miniapp_bench_${run}`;
  const orchestratorToken = `orch-${randomBytes(16).toString('hex')}`;
  const messagingToken = `msg-${randomBytes(16).toString('hex')}`;
  const timeoutMs = Math.max(120_000, (N + WARMUP) * 200);
  console.log(
    `mini-app benchmark: N=${N} (after ${WARMUP} warm-up journeys), C=${C}, profile ${PROFILE} (${method}), ` +
      `${cpus().length} CPUs, schema ${schema}`,
  );

  const cases = new Set<string>();
  const codes = new Map<string, string>();
  const orchestrator = await orchestratorStandIn(orchestratorToken, cases, method);
  const messaging = await messagingStandIn(messagingToken, codes);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serviceEnv: Record<string, string> = {
    ...env,
    SERVICE_NAME: serviceName,
    LOG_LEVEL: 'warn',
    MINIAPP_DB_SCHEMA: schema,
    MINIAPP_PUBLIC_BASE_URL: base,
    ORCHESTRATOR_URL: orchestrator.url,
    MINIAPP_ORCHESTRATOR_TOKEN: orchestratorToken,
    MESSAGING_INTERNAL_URL: messaging.url,
    MINIAPP_MESSAGING_TOKEN: messagingToken,
    MINIAPP_OTP_KEY: randomBytes(32).toString('hex'),
    // Every simulated customer comes from 127.0.0.1: the per-IP limit would stop the run, not protect anything.
    MINIAPP_RATE_LIMIT_PER_IP: '100000',
    // node-postgres names its connections after PGAPPNAME: the service's PostgreSQL backends, for their CPU time.
    PGAPPNAME: serviceName,
  };
  const connection = kafkaConnectionFromEnv(env);
  const kafka = new KafkaClient({
    clientId: `bench-${run}`,
    ...connection,
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    topics: [Topics.outreachEvent, Topics.customerFacts, Topics.miniappAction],
  });
  const db = new Client({ connectionString: env['DATABASE_URL'] });
  const http = new Http(new URL(base), C);
  let pid: number | undefined;
  let serviceUp = false;
  const failures: string[] = [];
  const report: string[] = [];

  try {
    await db.connect();
    await kafka.start();
    const published = new Map<string, MiniappAction[]>();
    const seenAt = new Map<string, number>();
    const observer = await kafka.subscriber.subscribe({
      groupId: `bench-${run}.observer`,
      topic: Topics.miniappAction,
      handler: ({ value }) => {
        if (cases.has(value.caseId)) {
          published.set(value.caseId, [...(published.get(value.caseId) ?? []), value]);
          if (!seenAt.has(value.caseId)) seenAt.set(value.caseId, performance.now());
        }
        return Promise.resolve();
      },
    });
    await observer.whenPositioned();
    await positionGroupsAtEnd(connection, [
      { groupId: `${serviceName}.outreach-event`, topic: Topics.outreachEvent },
      { groupId: `${serviceName}.case-state`, topic: Topics.caseState },
      { groupId: `${serviceName}.customer-facts`, topic: Topics.customerFacts },
    ]);
    pid = startService(serviceName, port, serviceEnv, { app: 'mini-app-backend' });
    serviceUp = true;
    await waitUntilReady(serviceName, port, 120_000);

    // Seeding through the real path: messaging's SENT events with the link, the trigger's hashed facts.
    const journeys = (prefix: string, n: number): Journey[] =>
      Array.from({ length: n }, (_, i) => {
        const token = randomBytes(32).toString('base64url');
        const j = {
          token,
          tokenSha256: sha256Hex(token),
          caseId: `case-mb${run}-${prefix}${i + 1}`,
          customerId: `cust-mb${run}-${prefix}${i + 1}`,
        };
        cases.add(j.caseId);
        return j;
      });
    const warm = journeys('w', WARMUP);
    const measured = journeys('m', N);
    const all = [...warm, ...measured];
    const hashed: HashedKnownFact[] = withFacts
      ? [
          await hashKnownFact('dateOfBirth', FACTS.dateOfBirth),
          await hashKnownFact('postalCode', FACTS.postalCode),
        ]
      : [];
    const now = Date.now();
    const sentOf = (j: Journey): OutgoingEvent => {
      const value: OutreachEvent = {
        eventId: `oe-${j.caseId}`,
        occurredAt: now,
        correlationId: j.caseId,
        causationId: null,
        caseId: j.caseId,
        outreachId: `out-${j.caseId}`,
        channel: 'SMS',
        status: 'SENT',
        providerRef: null,
        reason: null,
        fallbackChannel: null,
        link: {
          tokenSha256: j.tokenSha256,
          customerId: j.customerId,
          workflowId: WORKFLOW,
          purpose: 'servicing-contact-details',
          expiresAt: now + 3_600_000,
          locale: 'en-GB',
        },
      };
      return {
        topic: Topics.outreachEvent,
        key: { caseId: j.caseId },
        value,
        headers: { correlationId: j.caseId },
      };
    };
    const factsOf = (j: Journey): OutgoingEvent => {
      const value: CustomerFacts = {
        eventId: `cf-${j.customerId}`,
        occurredAt: now,
        correlationId: j.caseId,
        causationId: null,
        customerId: j.customerId,
        sourceSystem: 'bench',
        sourceEventId: `evt-${j.customerId}`,
        facts: hashed,
      };
      return {
        topic: Topics.customerFacts,
        key: { customerId: j.customerId },
        value,
        headers: { correlationId: j.caseId },
      };
    };
    const seedStarted = performance.now();
    for (let i = 0; i < all.length; i += 500) {
      const slice = all.slice(i, i + 500);
      await kafka.publisher.publishMany([...slice.map(sentOf), ...(withFacts ? slice.map(factsOf) : [])]);
    }
    const count = async (sql: string): Promise<number> =>
      Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const links = await count(`SELECT count(*) AS n FROM "${schema}".link WHERE status = 'OPEN'`);
      const facts = withFacts ? await count(`SELECT count(*) AS n FROM "${schema}".known_fact_statement`) : 0;
      if (links >= all.length && (!withFacts || facts >= all.length)) break;
      if (Date.now() > deadline)
        throw new Error(`timed out: the service holds ${links} links and ${facts} facts of ${all.length}`);
      await sleep(100);
    }
    console.log(
      `seeded ${all.length} links${withFacts ? ' and facts' : ''} through Kafka in ${(
        (performance.now() - seedStarted) /
        1000
      ).toFixed(1)} s`,
    );

    const timings = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
    const drive = async (batch: Journey[]): Promise<{ wallMs: number; requests: number; failed: number }> => {
      let next = 0;
      let requests = 0;
      let failed = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: Math.min(C, batch.length) }, async () => {
          while (next < batch.length) {
            const j = batch[next++]!;
            j.startedAt = performance.now();
            try {
              // Not `requests += await …`: that would read `requests` before the journey ran.
              const made = await runJourney(http, base, j, codes, withFacts, timings);
              requests += made;
              j.doneAt = performance.now();
            } catch (error) {
              failed++;
              if (failures.length < 50)
                failures.push(
                  error instanceof JourneyFailed ? error.message : `${j.caseId}: ${String(error)}`,
                );
            }
          }
        }),
      );
      return { wallMs: performance.now() - started, requests, failed };
    };

    await drive(warm);
    for (const list of timings.values()) list.length = 0;
    const cpu0 = processUsage(pid);
    const backends0 = await backendsCpu(db, serviceName);
    const calls0 = { orchestrator: orchestrator.calls, messaging: messaging.calls };
    const connections0 = orchestrator.connections + messaging.connections;
    const self0 = process.cpuUsage();
    const machine0 = machineUsage();
    const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const sql0 = await statementsOf(base);
    const { wallMs, requests, failed } = await drive(measured);
    const sql1 = await statementsOf(base);
    const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const cpu1 = processUsage(pid);
    const backends1 = await backendsCpu(db, serviceName);
    const calls1 = { orchestrator: orchestrator.calls, messaging: messaging.calls };
    const connections1 = orchestrator.connections + messaging.connections;
    const self1 = process.cpuUsage(self0);
    const machine1 = machineUsage();

    // Every journey's action, exactly once on the topic (late duplicates would show up in the extra wait).
    const done = all.filter((j) => j.doneAt !== undefined);
    const waitUntil = Date.now() + 60_000;
    while (done.some((j) => !seenAt.has(j.caseId)) && Date.now() < waitUntil) await sleep(50);
    await sleep(1_500);
    await observer.stop();

    const completed = measured.filter((j) => j.doneAt !== undefined);
    const rate = completed.length / (wallMs / 1000);
    const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
    const line = (what: string, n: number, p: { p50: number; p95: number; p99: number }, note = '') =>
      `${what.padEnd(34)} ${String(n).padStart(6)} ${ms(p.p50)} ${ms(p.p95)} ${ms(p.p99)}  ${note}`;
    report.push(
      `\n${'latency'.padEnd(34)} ${'n'.padStart(6)} ${'p50'.padStart(10)} ${'p95'.padStart(10)} ${'p99'.padStart(10)}`,
      line(
        'journey (open → done page)',
        completed.length,
        percentiles(completed.map((j) => j.doneAt! - j.startedAt!)),
      ),
      line(
        'journey start → miniapp.action seen',
        completed.filter((j) => seenAt.has(j.caseId)).length,
        percentiles(
          completed.filter((j) => seenAt.has(j.caseId)).map((j) => seenAt.get(j.caseId)! - j.startedAt!),
        ),
        'through the outbox relay and Kafka',
      ),
    );
    for (const s of STEPS) {
      const samples = timings.get(s)!;
      if (samples.length > 0) report.push(line(`  ${s}`, samples.length, percentiles(samples)));
    }
    const wallS = wallMs / 1000;
    report.push(
      `\njourneys: ${completed.length} of ${N} completed (${failed} failed) in ${wallS.toFixed(2)} s: ` +
        `${rate.toFixed(1)} journeys/s, ${(requests / wallS).toFixed(0)} requests/s ` +
        `(${(requests / Math.max(1, completed.length)).toFixed(1)} per journey), C=${C}`,
    );
    if (cpu0 && cpu1)
      report.push(
        `service (pid ${pid}): CPU ${((cpu1.cpuMs - cpu0.cpuMs) / 1000).toFixed(1)} s over the run ` +
          `(${((cpu1.cpuMs - cpu0.cpuMs) / wallMs).toFixed(2)} cores, ` +
          `${((cpu1.cpuMs - cpu0.cpuMs) / Math.max(1, completed.length)).toFixed(2)} ms per journey), ` +
          `RSS ${cpu1.rssMiB.toFixed(0)} MiB (peak ${cpu1.hwmMiB.toFixed(0)} MiB), ` +
          `${(((cpu1.systemMs - cpu0.systemMs) / Math.max(1, cpu1.cpuMs - cpu0.cpuMs)) * 100).toFixed(0)} % of it in the kernel`,
      );
    else report.push(`service (pid ${pid}): /proc not readable, no CPU or RSS figures`);
    const perJourney = (n: number) => (n / Math.max(1, completed.length)).toFixed(1);
    const pgMs = [...backends1].reduce((sum, [p, ms]) => sum + ms - (backends0.get(p) ?? 0), 0);
    report.push(
      backends1.size > 0
        ? `its PostgreSQL backends (${backends1.size}): CPU ${(pgMs / 1000).toFixed(1)} s ` +
            `(${(pgMs / wallMs).toFixed(2)} cores, ${(pgMs / Math.max(1, completed.length)).toFixed(2)} ms per journey)`
        : `its PostgreSQL backends: not found in pg_stat_activity (application_name ${serviceName})`,
    );
    if (sql0 && sql1) {
      const delta = (kind?: string) =>
        [...sql1].reduce(
          (sum, [k, n]) => (kind === undefined || k === kind ? sum + n - (sql0.get(k) ?? 0) : sum),
          0,
        );
      const kinds = [...sql1.keys()]
        .sort()
        .map((k) => `${k} ${perJourney(delta(k))}`)
        .join(', ');
      report.push(
        `SQL per journey (${DB_STATEMENTS}, outbox relay included): ${perJourney(delta())} statements, ` +
          `${perJourney(delta('begin'))} explicit transactions (${kinds})`,
      );
    } else report.push(`SQL per journey: ${DB_STATEMENTS} not readable on the service's /metrics`);
    report.push(
      `calls to the stand-ins per journey: orchestrator eligible-actions ${perJourney(
        calls1.orchestrator - calls0.orchestrator,
      )}, messaging one-time-code ${perJourney(calls1.messaging - calls0.messaging)}; ` +
        `${connections1 - connections0} new connections to them over the run`,
    );
    const selfMs = (self1.user + self1.system) / 1000;
    report.push(
      `this script (client and stand-ins): CPU ${(selfMs / 1000).toFixed(1)} s (${(selfMs / wallMs).toFixed(2)} cores)` +
        (machine0 && machine1
          ? `; the machine: ${(((machine1.busyMs - machine0.busyMs) / (machine1.totalMs - machine0.totalMs)) * 100).toFixed(0)} % busy of ${cpus().length} CPUs`
          : ''),
    );
    report.push(
      `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average before the measured run ${loadBefore}, after ${loadAfter}`,
    );
    report.push(
      `TARGET ≥ ${TARGET} journeys/s: ${rate >= TARGET ? 'met' : 'NOT met'} (${rate.toFixed(1)} journeys/s)`,
    );

    // Checks: every completed journey (warm-up included) published its action exactly once, as the customer did it.
    for (const j of done) {
      const actions = published.get(j.caseId) ?? [];
      if (actions.length !== 1)
        failures.push(`${j.caseId}: ${actions.length} miniapp.action (want exactly 1)`);
      else if (actions[0]!.action !== ACTION || actions[0]!.identityMethod !== method)
        failures.push(
          `${j.caseId}: miniapp.action ${actions[0]!.action} with ${actions[0]!.identityMethod} (want ${ACTION} with ${method})`,
        );
      else if (actions[0]!.parameters['postalCode'] !== ADDRESS.postalCode)
        failures.push(`${j.caseId}: miniapp.action parameters ${JSON.stringify(actions[0]!.parameters)}`);
    }
    for (const j of all)
      if (j.doneAt === undefined && (published.get(j.caseId) ?? []).length > 0)
        failures.push(`${j.caseId}: a miniapp.action for a journey that did not complete`);
    if (done.length !== all.length) failures.push(`${all.length - done.length} journeys did not complete`);
    if (failures.length === 0)
      report.push(
        `checks: ${done.length} journeys (warm-up included), each with exactly one miniapp.action ${ACTION} (${method}) on the topic`,
      );
  } finally {
    http.close();
    if (serviceUp) {
      stopService(serviceName, 'SIGTERM');
      if (!(await waitForExit(serviceName, 20_000)))
        console.error(`${serviceName} did not stop; see ${logFile(serviceName)}`);
    }
    await kafka.close();
    await orchestrator.close();
    await messaging.close();
    if (process.env['BENCH_KEEP'] !== '1')
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.end();
  }

  console.log(report.join('\n'));
  if (failures.length > 0) {
    console.error(`\nchecks failed (${failures.length}):\n  ${failures.slice(0, 20).join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

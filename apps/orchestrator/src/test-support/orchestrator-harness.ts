// The orchestrator in-process for its integration tests: its own AppModule and production HTTP layer against the
// real Kafka, registry and PostgreSQL, with a schema, service name (hence consumer groups) and signing key of its
// own per run, and an observer on the topics it writes that outlives any one instance (so a restart can be tested).
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { parse, stringify } from 'yaml';
import { loadConfig } from '@closeout/config';
import {
  Topics,
  type AuditEvent,
  type CaseState,
  type OutreachRequested,
  type WritebackRequested,
} from '@closeout/contracts';
import {
  KafkaClient,
  kafkaConnectionFromEnv,
  loadVerificationKeys,
  localRequestSigning,
  positionGroupsAtEnd,
  RecordVerifier,
  type SignatureCheck,
  type Subscription,
} from '@closeout/kafka';
import { rawKafka } from '@closeout/kafka/testing';
import type { Consumer } from 'kafkajs';
import { configureHttp } from '@closeout/platform';
import { AppModule } from '../app.module';
import { configSchema, type Config } from '../config';

export const SEED_WORKFLOWS_DIR = join(__dirname, '..', '..', 'workflows');

export interface Cadence {
  reminders: string[];
  expiry: string;
  writebackLatencyCeiling: string;
}

/** Long enough that no timer of a case fires while a test works it. */
export const PATIENT: Cadence = {
  reminders: ['PT600S'],
  expiry: 'PT1200S',
  writebackLatencyCeiling: 'PT600S',
};

/** Copies the seed workflow definitions into `dir`, each with the cadence given for it (PATIENT otherwise). */
export function writeDefinitions(dir: string, cadences: Record<string, Cadence>): string {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(SEED_WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f))) {
    const doc = parse(readFileSync(join(SEED_WORKFLOWS_DIR, file), 'utf8')) as {
      id: string;
      outreach: { reminders?: string[]; expiry: string };
      slo: { writebackLatencyCeiling: string };
    };
    const cadence = cadences[doc.id] ?? PATIENT;
    doc.outreach.reminders = cadence.reminders;
    doc.outreach.expiry = cadence.expiry;
    doc.slo.writebackLatencyCeiling = cadence.writebackLatencyCeiling;
    writeFileSync(join(dir, file), stringify(doc));
  }
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Nest's own log lines (bootstrap, errors the framework catches) go to a file a failure message names. */
class FileLogger implements LoggerService {
  constructor(private readonly file: string) {}
  private write(level: string, message: unknown, context: unknown[]): void {
    appendFileSync(
      this.file,
      `${new Date().toISOString()} ${level} ${String(message instanceof Error ? message.stack : message)} ${context.map(String).join(' ')}\n`,
    );
  }
  log(message: unknown, ...context: unknown[]): void {
    this.write('log', message, context);
  }
  error(message: unknown, ...context: unknown[]): void {
    this.write('error', message, context);
  }
  warn(message: unknown, ...context: unknown[]): void {
    this.write('warn', message, context);
  }
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run through the integration Jest project (its global setup sets it)`,
    );
  return value;
};

/** What the orchestrator published, as an observer outside it reads it (only this run's cases are kept). */
export class Observed {
  readonly outreach: OutreachRequested[] = [];
  readonly writebackRequests: WritebackRequested[] = [];
  readonly states: CaseState[] = [];
  readonly audit: AuditEvent[] = [];
  /** The signature check of every writeback.requested record of this run, against this run's public key. */
  readonly signatureChecks: SignatureCheck[] = [];

  outreachOf(caseId: string): OutreachRequested[] {
    return this.outreach.filter((o) => o.caseId === caseId);
  }
  requestsOf(caseId: string): WritebackRequested[] {
    return this.writebackRequests.filter((r) => r.caseId === caseId);
  }
  statesOf(caseId: string): CaseState[] {
    return this.states.filter((s) => s.caseId === caseId);
  }
  auditOf(caseId: string): AuditEvent[] {
    return this.audit.filter((a) => a.caseId === caseId);
  }
}

export interface RunningOrchestrator {
  app: INestApplication;
  url: string;
  db: DataSource;
}

export interface CaseView {
  caseId: string;
  workflowId: string;
  state: string;
  writebacks: {
    writebackId: string;
    destination: string;
    idempotencyKey: string;
    status: string;
    superseded: boolean;
  }[];
  timeline: { kind: string; detail: Record<string, unknown> }[];
  timers: { timerId: string; kind: string; firedAt: string | null; cancelledAt: string | null }[];
  exceptions: { exceptionId: string; kind: string; status: string; context: Record<string, unknown> }[];
}

/**
 * One test run's orchestrator: `start()` boots an instance (again after `stop()`, on the same schema and consumer
 * groups, as a restarted pod would), `kafka` publishes inputs and observes outputs across restarts.
 */
export class OrchestratorHarness {
  readonly run = randomBytes(4).toString('hex');
  readonly serviceName = `orchestrator-it-${this.run}`;
  readonly schema = `orch_it_${this.run}`;
  readonly dir = join(tmpdir(), `closeout-orchestrator-it-${this.run}`);
  /** The service's log and Nest's: the suite's log file the Jest setup names (LOG_FILE), else one of this run. */
  readonly logFile = process.env['LOG_FILE'] ?? join(this.dir, 'orchestrator.log');
  readonly agentTokens = { 'agent-7': `it-agent-7-${this.run}-0123456789` };
  readonly observed = new Observed();
  readonly signing = localRequestSigning(`orchestrator-it-${this.run}`);
  kafka!: KafkaClient;
  current: RunningOrchestrator | undefined;
  private config!: Config;
  private readonly subscriptions: Subscription[] = [];
  private rawConsumer: Consumer | undefined;

  constructor(
    private readonly cadences: Record<string, Cadence> = {},
    /** More variables of the orchestrator's config, applied last (e.g. ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS). */
    private readonly extraEnv: Record<string, string> = {},
    /** More principals of the API beside agent-7, `principal → token`. */
    readonly principalTokens: Record<string, string> = {},
  ) {}

  /** The orchestrator's own consumer groups start at the topics' current end: other runs' traffic is not ours. */
  async prepare(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const definitions = writeDefinitions(join(this.dir, 'workflows'), this.cadences);
    this.config = loadConfig(configSchema, {
      ...process.env,
      ...this.signing.orchestratorEnv,
      SERVICE_NAME: this.serviceName,
      HTTP_PORT: '3002',
      ORCHESTRATOR_DB_SCHEMA: this.schema,
      ORCHESTRATOR_DB_POOL: '6',
      ORCHESTRATOR_TIMER_POLL_MS: '100',
      WORKFLOW_DEFINITIONS_DIR: definitions,
      ORCHESTRATOR_API_TOKENS: Object.entries({ ...this.agentTokens, ...this.principalTokens })
        .map(([agent, token]) => `${agent}=${token}`)
        .join(','),
      ...this.extraEnv,
    });
    await positionGroupsAtEnd(
      kafkaConnectionFromEnv(process.env),
      [
        Topics.caseTriggered,
        Topics.outreachEvent,
        Topics.miniappAction,
        Topics.writebackResult,
        Topics.writebackCommand,
      ].map((topic) => ({
        groupId: `${this.serviceName}.${topic.replace(/\.v1$/, '').replace(/\./g, '-')}`,
        topic,
      })),
    );
    this.kafka = new KafkaClient({
      clientId: `orchestrator-it-observer-${this.run}`,
      ...kafkaConnectionFromEnv(process.env),
      schemaRegistryUrl: env('SCHEMA_REGISTRY_URL'),
      topics: [
        Topics.caseTriggered,
        Topics.outreachRequested,
        Topics.outreachEvent,
        Topics.miniappAction,
        Topics.writebackRequested,
        Topics.writebackResult,
        Topics.writebackCommand,
        Topics.caseState,
        Topics.auditEvent,
      ],
    });
    await this.kafka.start();
    await this.observe();
  }

  async start(): Promise<RunningOrchestrator> {
    const port = await freePort();
    const app = await NestFactory.create(AppModule.register({ ...this.config, HTTP_PORT: port }), {
      logger: new FileLogger(this.logFile),
      bodyParser: false,
    });
    // The HTTP layer the service boots with (main.ts): /v1 behind the agents' bearer tokens.
    configureHttp(app, { tokens: this.config.ORCHESTRATOR_API_TOKENS, protectedPrefixes: ['/v1'] });
    await app.listen(port, '127.0.0.1');
    this.current = { app, url: `http://127.0.0.1:${port}`, db: app.get(DataSource) };
    return this.current;
  }

  async stop(): Promise<void> {
    const running = this.current;
    this.current = undefined;
    await running?.app.close();
  }

  /** Drops the run's schema and stops everything; the log folder stays for whoever reads a failure. */
  async close(): Promise<void> {
    const db = this.current?.db;
    await db?.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await this.stop();
    for (const s of this.subscriptions) await s.stop();
    await this.rawConsumer?.disconnect();
    await this.kafka?.close();
  }

  get running(): RunningOrchestrator {
    if (!this.current) throw new Error('the orchestrator is not running: call start() first');
    return this.current;
  }

  /** GET /v1/cases/:id as agent-7. */
  async getCase(caseId: string): Promise<CaseView | undefined> {
    const res = await this.api(`/v1/cases/${caseId}`);
    return res.status === 200 ? (res.body as CaseView) : undefined;
  }

  async api(
    path: string,
    init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; contentType: string | null; body: unknown }> {
    const token = init.token === undefined ? this.agentTokens['agent-7'] : init.token;
    const res = await fetch(`${this.running.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: text ? JSON.parse(text) : null,
    };
  }

  /**
   * Polls `probe` until it returns something; on timeout the error says what was awaited, what was last seen, and
   * where the orchestrator's log and the case's timeline are.
   */
  async until<T>(
    what: string,
    probe: () => Promise<T | undefined> | T | undefined,
    options: { timeoutMs?: number; caseId?: string } = {},
  ): Promise<T> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        const view = options.caseId && this.current ? await this.getCase(options.caseId) : undefined;
        throw new Error(
          [
            `timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${what}`,
            view
              ? `case ${view.caseId} is ${view.state}; timeline: ${view.timeline.map((e) => e.kind).join(' → ')}`
              : options.caseId
                ? `case ${options.caseId}: not found (or the orchestrator is not running)`
                : '',
            `orchestrator log: ${this.logFile}; schema ${this.schema}, consumer groups ${this.serviceName}.*`,
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the case to reach one of `states` (through the API, which reads the database). */
  waitForState(caseId: string, states: string[], timeoutMs = 30_000): Promise<CaseView> {
    return this.until(
      `case ${caseId} to reach ${states.join(' or ')}`,
      async () => {
        const view = await this.getCase(caseId);
        return view && states.includes(view.state) ? view : undefined;
      },
      { timeoutMs, caseId },
    );
  }

  private async observe(): Promise<void> {
    const o = this.observed;
    const ours = (caseId: string) => caseId.includes(this.run);
    const publicKeys = this.signing.writebackEnv['WRITEBACK_REQUEST_PUBLIC_KEYS'];
    if (!publicKeys) throw new Error('localRequestSigning gave no public key for the writeback services');
    const verifier = new RecordVerifier(loadVerificationKeys(publicKeys));
    const group = `orchestrator-it-${this.run}.observer`;
    const sub = this.kafka.subscriber;
    this.subscriptions.push(
      await sub.subscribe({
        groupId: `${group}.outreach`,
        topic: Topics.outreachRequested,
        handler: async ({ value }) => void (ours(value.caseId) && o.outreach.push(value)),
      }),
      await sub.subscribe({
        groupId: `${group}.wbreq`,
        topic: Topics.writebackRequested,
        handler: async ({ value }) => void (ours(value.caseId) && o.writebackRequests.push(value)),
      }),
      await sub.subscribe({
        groupId: `${group}.state`,
        topic: Topics.caseState,
        handler: async ({ value }) => void (ours(value.caseId) && o.states.push(value)),
      }),
      await sub.subscribe({
        groupId: `${group}.audit`,
        topic: Topics.auditEvent,
        handler: async ({ value }) => void (value.caseId && ours(value.caseId) && o.audit.push(value)),
      }),
    );
    await Promise.all(this.subscriptions.map((s) => s.whenPositioned()));
    // The signatures are checked on the bytes as they are on the wire, by a plain kafkajs reader.
    await positionGroupsAtEnd(kafkaConnectionFromEnv(process.env), [
      { groupId: `${group}.signatures`, topic: Topics.writebackRequested },
    ]);
    const raw = rawKafka().consumer({ groupId: `${group}.signatures`, maxWaitTimeInMs: 100 });
    this.rawConsumer = raw;
    await raw.connect();
    await raw.subscribe({ topic: Topics.writebackRequested, fromBeginning: true });
    await raw.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.key?.toString('utf8').includes(this.run)) return;
        o.signatureChecks.push(
          verifier.check({ topic, key: message.key, value: message.value, headers: message.headers ?? {} }),
        );
      },
    });
  }
}

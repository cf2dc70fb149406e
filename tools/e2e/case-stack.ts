/**
 * The platform from trigger to writeback, as separate processes against the devstack: trigger-ingest, the
 * orchestrator and the three writeback services (each its own instance: consumer groups and PostgreSQL schemas of
 * this run), the simulated REST, SOAP and SFTP cores (test doubles of the bank's systems, with faults), and a Kafka
 * client that watches what the services publish. For end-to-end tests and the benchmark.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  Topics,
  type AuditEvent,
  type CaseState,
  type OutreachRequested,
  type WritebackRequested,
  type WritebackResult,
} from '@closeout/contracts';
import { KafkaClient, positionGroupsAtEnd, kafkaConnectionFromEnv } from '@closeout/kafka';
import { localRequestSigning } from '@closeout/kafka';
import { startRestCore, type FaultRule as RestFault, type RestCore } from '@closeout/simulators/rest-core';
import { startSoapCore, type FaultRule as SoapFault, type SoapCore } from '@closeout/simulators/soap-core';
import { startSftpCore, type FaultRule as SftpFault, type SftpCore } from '@closeout/simulators/sftp-core';
import {
  restCoreDestination,
  retryPolicy,
  sftpCoreDestination,
  soapCoreDestination,
} from '../demo/core-destinations';
import { logFile, repoRoot, startService, stopService, waitForExit, waitUntilReady } from '../demo/services';

export const SEED_WORKFLOWS_DIR = join(repoRoot, 'apps', 'orchestrator', 'workflows');

/** Cadence overrides for tests: the seed definitions' structure and rules, with delays of seconds instead of days. */
export interface Cadence {
  reminders: string[];
  expiry: string;
  writebackLatencyCeiling: string;
}

export const FAST_CADENCE: Cadence = {
  reminders: ['PT3S', 'PT6S'],
  // Reminders count from each attempt's delivery receipt: room for an orchestrator restart before the round expires.
  expiry: 'PT30S',
  writebackLatencyCeiling: 'PT20S',
};
export const PATIENT_CADENCE: Cadence = {
  reminders: ['PT600S'],
  expiry: 'PT1200S',
  writebackLatencyCeiling: 'PT600S',
};

/** Copies the seed workflow definitions into a folder of this run with another cadence. */
export function writeDefinitions(dir: string, cadence: Cadence): string {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(SEED_WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f))) {
    const doc = parse(readFileSync(join(SEED_WORKFLOWS_DIR, file), 'utf8')) as {
      outreach: { reminders?: string[]; expiry: string };
      slo: { writebackLatencyCeiling: string };
    };
    doc.outreach.reminders = cadence.reminders;
    doc.outreach.expiry = cadence.expiry;
    doc.slo.writebackLatencyCeiling = cadence.writebackLatencyCeiling;
    writeFileSync(join(dir, file), stringify(doc));
  }
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface StackOptions {
  env: Record<string, string>;
  cadence?: Cadence;
  restFaults?: RestFault[];
  soapFaults?: SoapFault[];
  sftpFaults?: SftpFault[];
  log?: (line: string) => void;
  /**
   * Which writeback services to start (default all three). A run that only drives REST workflows can leave the
   * others out, so they do not spend a small machine's CPU consuming and skipping every request.
   */
  writebackServices?: WritebackApp[];
  /** Extra environment per app, applied over the stack's own (e.g. pool sizes, NODE_OPTIONS for a CPU profile). */
  extraEnv?: Partial<Record<StackApp, Record<string, string>>>;
  /** Watch the topics into `observed` (default true). A benchmark that keeps its own watcher turns it off. */
  watch?: boolean;
  /**
   * More principals of the orchestrator's API, `principal → token`, beside the operations tool's and the agents' (e.g.
   * `mini-app`, which asks for a case's eligible actions).
   */
  apiPrincipals?: Record<string, string>;
}

/** The agents the stack's orchestrator knows, each with a token of its own. */
export const AGENTS = ['agent-3', 'agent-7', 'agent-9'] as const;

export type WritebackApp = 'writeback-rest' | 'writeback-soap' | 'writeback-sftp';
export type StackApp = 'trigger-ingest' | 'orchestrator' | WritebackApp;

export interface Instance {
  name: string;
  app: string;
  port: number;
  env: Record<string, string>;
  /** Consumer groups and their topics, positioned at the end before the first boot. */
  groups: [string, string][];
}

/** What the services published during the run; filter by case id (= correlation id). */
export class Observed {
  readonly outreach: OutreachRequested[] = [];
  readonly writebackRequests: WritebackRequested[] = [];
  readonly writebackResults: WritebackResult[] = [];
  readonly states: CaseState[] = [];
  readonly audit: AuditEvent[] = [];

  auditOf(caseId: string): AuditEvent[] {
    return this.audit.filter((a) => a.correlationId === caseId);
  }

  outreachOf(caseId: string): OutreachRequested[] {
    return this.outreach.filter((m) => m.caseId === caseId);
  }

  requestsOf(caseId: string): WritebackRequested[] {
    return this.writebackRequests.filter((m) => m.caseId === caseId);
  }
}

export class CaseStack {
  readonly runId = randomUUID().slice(0, 8);
  readonly ingestToken = `it-ingest-${this.runId}-0123456789`;
  readonly apiToken = `it-agent-${this.runId}-0123456789`;
  readonly observed = new Observed();
  rest!: RestCore;
  soap!: SoapCore;
  sftp!: SftpCore;
  sftpFolder = '';
  private kafka!: KafkaClient;
  private readonly instances = new Map<string, Instance>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: StackOptions) {
    this.log = options.log ?? (() => undefined);
  }

  instance(app: string): Instance {
    const i = this.instances.get(app);
    if (!i) throw new Error(`no instance of ${app} in this stack`);
    return i;
  }

  /** Every service instance of the stack, in boot order. */
  instanceList(): Instance[] {
    return [...this.instances.values()];
  }

  get ingestUrl(): string {
    return `http://127.0.0.1:${this.instance('trigger-ingest').port}`;
  }

  get orchestratorUrl(): string {
    return `http://127.0.0.1:${this.instance('orchestrator').port}`;
  }

  async start(): Promise<this> {
    const { env } = this.options;
    const run = this.runId;
    this.rest = await startRestCore({ faults: this.options.restFaults ?? [] });
    this.soap = await startSoapCore({ faults: this.options.soapFaults ?? [] });
    // A batch folder of this run's own: the main job's batch core, if running, watches core-banking-sftp.
    this.sftpFolder = `core-banking-sftp-it-${run}`;
    this.sftp = await startSftpCore({
      root: env['SFTP_ROOT']!,
      destinations: [this.sftpFolder],
      pollIntervalMs: 50,
      faults: this.options.sftpFaults ?? [],
    });
    const definitionsDir = writeDefinitions(
      join(tmpdir(), `closeout-it-${run}`, 'workflows'),
      this.options.cadence ?? FAST_CADENCE,
    );

    this.kafka = new KafkaClient({
      clientId: `it-${run}`,
      ...kafkaConnectionFromEnv(env),
      schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
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
    if (this.options.watch ?? true) await this.watch();

    const wbRetry = (destination: string) =>
      retryPolicy(destination, {
        baseDelayMs: 100,
        maxDelayMs: 1_000,
        maxAttempts: 20,
        circuitOpenWaitMs: 500,
        unknownResolveDelayMs: 1_000,
      });
    // A signing key pair of this run's own, outside the repository: its orchestrator signs writeback.requested, its
    // writeback services trust that key only (and so never act on another run's requests on the shared topic).
    const signing = localRequestSigning(`it-${run}`);
    const signingEnv = (app: StackApp): Record<string, string> =>
      app === 'orchestrator'
        ? signing.orchestratorEnv
        : app.startsWith('writeback-')
          ? signing.writebackEnv
          : {};
    const common = { ...env, LOG_LEVEL: 'warn', INGEST_API_TOKENS: `core-billing=${this.ingestToken}` };
    const writebackApps = new Set<string>(
      this.options.writebackServices ?? ['writeback-rest', 'writeback-soap', 'writeback-sftp'],
    );
    const add = async (app: StackApp, extra: Record<string, string>, groups: string[][]) => {
      if (app.startsWith('writeback-') && !writebackApps.has(app)) return;
      const name = `it-${run}-${app}`;
      this.instances.set(app, {
        name,
        app,
        port: await freePort(),
        env: { ...common, SERVICE_NAME: name, ...signingEnv(app), ...extra, ...this.options.extraEnv?.[app] },
        groups: groups.map(([g, t]) => [`${name}.${g}`, t!]),
      });
    };
    await add('trigger-ingest', {}, []);
    await add(
      'orchestrator',
      {
        ORCHESTRATOR_DB_SCHEMA: `orch_it_${run}`,
        WORKFLOW_DEFINITIONS_DIR: definitionsDir,
        ORCHESTRATOR_API_TOKENS: [
          `ops=${this.apiToken}`,
          ...AGENTS.map((a) => `${a}=${this.agentToken(a)}`),
          ...Object.entries(this.options.apiPrincipals ?? {}).map(([p, t]) => `${p}=${t}`),
        ].join(','),
        ORCHESTRATOR_TIMER_POLL_MS: '200',
      },
      [
        ['case-triggered', Topics.caseTriggered],
        ['outreach-event', Topics.outreachEvent],
        ['miniapp-action', Topics.miniappAction],
        ['writeback-result', Topics.writebackResult],
        ['writeback-command', Topics.writebackCommand],
      ],
    );
    await add(
      'writeback-rest',
      {
        WRITEBACK_DB_SCHEMA: `wb_rest_it_${run}`,
        WRITEBACK_REST_DESTINATIONS: JSON.stringify([
          restCoreDestination({
            baseUrl: this.rest.url,
            token: `it-core-${run}-0123456789`,
            requestMs: 1_500,
            lookupVisibilityMs: 2_000,
          }),
        ]),
        WRITEBACK_RETRY_POLICY: wbRetry('core-banking-rest'),
        WRITEBACK_LEASE_MS: '5000',
      },
      [['writeback-requested', Topics.writebackRequested]],
    );
    await add(
      'writeback-soap',
      {
        WRITEBACK_DB_SCHEMA: `wb_soap_it_${run}`,
        WRITEBACK_SOAP_DESTINATIONS: JSON.stringify([
          soapCoreDestination({
            wsdlUrl: this.soap.wsdlUrl,
            endpoint: this.soap.url,
            healthUrl: `${this.soap.baseUrl}/health`,
            requestMs: 1_500,
            lookupVisibilityMs: 2_000,
          }),
        ]),
        WRITEBACK_RETRY_POLICY: wbRetry('core-banking-soap'),
        WRITEBACK_LEASE_MS: '5000',
      },
      [['writeback-requested', Topics.writebackRequested]],
    );
    await add(
      'writeback-sftp',
      {
        WRITEBACK_DB_SCHEMA: `wb_sftp_it_${run}`,
        WRITEBACK_SFTP_DESTINATIONS: JSON.stringify([
          sftpCoreDestination(env, {
            remoteDir: `${env['SFTP_REMOTE_ROOT'] ?? env['SFTP_ROOT']}/${this.sftpFolder}`,
            windowMs: 300,
            receiptWindowMs: 5_000,
            receiptPollMs: 100,
          }),
        ]),
        WRITEBACK_RETRY_POLICY: wbRetry('core-banking-sftp'),
        WRITEBACK_LEASE_MS: '20000',
      },
      [['writeback-requested', Topics.writebackRequested]],
    );
    await positionGroupsAtEnd(
      kafkaConnectionFromEnv(env),
      [...this.instances.values()].flatMap((i) => i.groups.map(([groupId, topic]) => ({ groupId, topic }))),
    );
    // All at once: a boot is a few seconds of CPU and longer waits (the broker's group joins, the registry,
    // migrations), so together they are up in about the time of the slowest rather than the sum of all.
    await Promise.all([...this.instances.values()].map((i) => this.boot(i)));
    return this;
  }

  async boot(i: Instance): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      startService(i.name, i.port, i.env, { app: i.app });
      try {
        await waitUntilReady(i.name, i.port, 120_000);
        break;
      } catch (error) {
        // Suites running beside this one pick free ports too, and the kernel hands the same one out again: a port
        // taken meanwhile is a reason to take another, not to fail the test.
        const taken = readFileSync(logFile(i.name), 'utf8').includes(
          `EADDRINUSE: address already in use 0.0.0.0:${i.port}`,
        );
        if (!taken || attempt === 3) throw error;
        this.log(`${i.app}: port ${i.port} was taken meanwhile; booting on another`);
        i.port = await freePort();
      }
    }
    this.log(`${i.app} up on :${i.port} (${logFile(i.name)})`);
  }

  /** SIGKILL: no drain, no commit; what was in flight is left to the durable state. */
  async kill(app: string): Promise<void> {
    const i = this.instance(app);
    stopService(i.name, 'SIGKILL');
    await waitForExit(i.name, 10_000);
  }

  async restart(app: string): Promise<void> {
    await this.boot(this.instance(app));
  }

  async publish<
    T extends
      | typeof Topics.miniappAction
      | typeof Topics.outreachEvent
      | typeof Topics.caseTriggered
      | typeof Topics.writebackCommand,
  >(topic: T, values: Parameters<KafkaClient['publisher']['publish']>[2][]): Promise<void> {
    await this.kafka.publisher.publishManyToTopics(
      values.map((v) => {
        const value = v as { caseId: string; correlationId: string };
        return {
          topic,
          key: { caseId: value.caseId },
          value: v,
          headers: { correlationId: value.correlationId },
        };
      }),
    );
  }

  async postTrigger(
    body: unknown,
    /** More request headers, e.g. the upstream system's `traceparent`. */
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: { caseId?: string; duplicate?: boolean; errors?: unknown } }> {
    const res = await fetch(`${this.ingestUrl}/v1/triggers`, {
      method: 'POST',
      headers: {
        ...headers,
        authorization: `Bearer ${this.ingestToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { caseId?: string } };
  }

  /** The bearer token of one of the stack's agents (AGENTS): the orchestrator records that agent as the resolver. */
  agentToken(agent: (typeof AGENTS)[number]): string {
    return `it-${agent}-${this.runId}-0123456789`;
  }

  /** Calls the case API as the operations tool, or `as` one of the agents. */
  async api<T>(
    path: string,
    init: { method?: string; body?: unknown; as?: (typeof AGENTS)[number] } = {},
  ): Promise<{ status: number; body: T }> {
    const token = init.as ? this.agentToken(init.as) : this.apiToken;
    const res = await fetch(`${this.orchestratorUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async getCase(caseId: string): Promise<CaseView | undefined> {
    const res = await this.api<CaseView>(`/v1/cases/${caseId}`);
    return res.status === 200 ? res.body : undefined;
  }

  /** Polls the orchestrator's API until the case is in one of `states`. */
  async waitForState(caseId: string, states: string[], timeoutMs = 60_000): Promise<CaseView> {
    const deadline = Date.now() + timeoutMs;
    let last: CaseView | undefined;
    while (Date.now() < deadline) {
      last = await this.getCase(caseId);
      if (last && states.includes(last.state)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `case ${caseId} not in ${states.join('|')} after ${timeoutMs} ms: ${last ? last.state : 'not found'}`,
    );
  }

  async until(condition: () => boolean, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (condition()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return condition();
  }

  async close(): Promise<void> {
    for (const i of [...this.instances.values()].reverse()) {
      if (stopService(i.name, 'SIGTERM')) await waitForExit(i.name, 15_000);
    }
    await this.kafka?.close();
    await Promise.all([this.rest?.close(), this.soap?.close(), this.sftp?.close()]);
  }

  private async watch(): Promise<void> {
    const o = this.observed;
    const group = `it-${this.runId}.watch`;
    const subs = await Promise.all([
      this.kafka.subscriber.subscribe({
        groupId: `${group}.outreach`,
        topic: Topics.outreachRequested,
        handler: async ({ value }) => void o.outreach.push(value),
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.wbreq`,
        topic: Topics.writebackRequested,
        handler: async ({ value }) => void o.writebackRequests.push(value),
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.wbres`,
        topic: Topics.writebackResult,
        handler: async ({ value }) => void o.writebackResults.push(value),
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.state`,
        topic: Topics.caseState,
        handler: async ({ value }) => void o.states.push(value),
      }),
      this.kafka.subscriber.subscribe({
        groupId: `${group}.audit`,
        topic: Topics.auditEvent,
        handler: async ({ value }) => void o.audit.push(value),
      }),
    ]);
    await Promise.all(subs.map((s) => s.whenPositioned()));
  }
}

export interface CaseView {
  caseId: string;
  workflowId: string;
  state: string;
  correlationId: string;
  offeredActions: { actionId: string; action: string; eligible: boolean; ruleId: string; reason: string }[];
  writebacks: {
    writebackId: string;
    destination: string;
    idempotencyKey: string;
    status: string;
    providerRef: string | null;
    superseded: boolean;
  }[];
  timeline: { kind: string; ruleId: string | null; detail: Record<string, unknown> }[];
  timers: { timerId: string; kind: string; firedAt: string | null; cancelledAt: string | null }[];
  exceptions: {
    exceptionId: string;
    kind: string;
    status: string;
    queue: string;
    context: Record<string, unknown>;
  }[];
}

/**
 * Closeout's main job: brings up the devstack, the simulated cores (test doubles of the bank's REST, SOAP and SFTP
 * systems of record, with faults injected) and the nine services, then drives a realistic sample to the end:
 * upstream triggers across the five seed workflows, simulated customers acting on most of them (some decline, some
 * get a parameter wrong first, some tap twice, some never answer), redelivered upstream events, and writeback-rest
 * killed and restarted midway. It prints progress while it runs and a final report, and leaves everything running.
 *
 *   npm start                 # 1,000 triggers
 *   npm start -- --cases 200  # a shorter run
 *
 * The messaging and mini-app services do not yet reach real customers: the job stands in for them, answering each
 * outreach.requested with a delivery receipt (outreach.event) and the customer's choice (miniapp.action).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Topics,
  type CaseState,
  type MiniappAction,
  type OutreachRequested,
  type WritebackResult,
} from '@closeout/contracts';
import { KafkaClient, positionGroupsAtEnd, kafkaConnectionFromEnv } from '@closeout/kafka';
import { configureLogging } from '@closeout/telemetry';
import { seededRandom } from '@closeout/simulators/sftp-core';
import { writeDefinitions } from '../e2e/case-stack';
import {
  devstackCommand,
  devstackEnv,
  logFile,
  repoRoot,
  runningPid,
  services,
  startProcess,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from './services';
import { customerPlan, SCENARIOS, type CustomerPlan } from './scenarios';
import { demoSigningEnv } from './request-signing';
import { percentile, printReport, type RunFigures } from './report';

const { values: args } = parseArgs({
  options: { cases: { type: 'string', default: '1000' }, seed: { type: 'string', default: '7' } },
});
const CASES = Number(args.cases);
if (!Number.isInteger(CASES) || CASES < 5) {
  console.error('--cases: must be an integer ≥ 5');
  process.exit(2);
}
const random = seededRandom(Number(args.seed));

const INGEST_TOKEN = 'demo-upstream-token-0123456789';
const AGENT_TOKEN = 'demo-agent-token-0123456789';
const RECONCILER_TOKEN = 'demo-operator-token-0123456789';
const CORE_TOKEN = 'demo-core-token-0123456789';
const REST_CORE_PORT = 8091;
const SOAP_CORE_PORT = 8092;
const port = (name: string) => services.find((s) => s.name === name)!.port;
const ingestUrl = `http://127.0.0.1:${port('trigger-ingest')}/v1/triggers`;
const orchestratorUrl = `http://127.0.0.1:${port('orchestrator')}`;
const reconcilerUrl = `http://127.0.0.1:${port('reconciler')}`;

// Faults at each core: transient errors, resets, commits whose answer never comes (unknown outcomes), throttling,
// server-side retries, late receipts and rejected batches.
const REST_FAULTS =
  'error_5xx@0.05,connection_reset@0.02,commit_then_timeout@0.02,slow_commit@0.01,rate_limited@0.02';
const SOAP_FAULTS = 'vendor_transient@0.05,vendor_ambiguous@0.02,throttled@0.02,server_retry@0.03';
const SFTP_FAULTS = 'delay_receipt@0.1,checksum_mismatch@0.03';

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (msg: string) => console.log(`[${elapsed().padStart(7)}] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each writeback service's retry policy names only its own destination: an override for another stops it at boot. */
/**
 * Which services a variable belongs to: each service is started with its own tokens, destinations and keys only
 * (an ingest token, a core's credentials or the SFTP key in every process would be one more place to leak them).
 */
const OWNERS: Array<[RegExp, readonly string[]]> = [
  [/^INGEST_/, ['trigger-ingest']],
  [/^ORCHESTRATOR_/, ['orchestrator']],
  [/^RECONCILER_/, ['reconciler']],
  [/^WRITEBACK_REST_/, ['writeback-rest']],
  [/^WRITEBACK_SOAP_/, ['writeback-soap']],
  [/^WRITEBACK_SFTP_/, ['writeback-sftp']],
  [/^SFTP_/, ['writeback-sftp', 'reconciler']],
  [/^WORKFLOW_/, ['orchestrator', 'reconciler']],
];

function ownedBy(service: string, env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => {
      const owner = OWNERS.find(([pattern]) => pattern.test(name));
      return !owner || owner[1].includes(service);
    }),
  );
}

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
    WRITEBACK_RETRY_POLICY: JSON.stringify({
      [destination]: {
        baseDelayMs: 200,
        maxDelayMs: 3_000,
        maxAttempts: 12,
        circuitOpenWaitMs: 2_000,
        unknownResolveDelayMs: 1_500,
      },
    }),
  };
}

function serviceEnv(env: Record<string, string>, workflowsDir: string): Record<string, string> {
  return {
    ...env,
    LOG_LEVEL: 'info',
    INGEST_API_TOKENS: `core-billing=${INGEST_TOKEN}`,
    ORCHESTRATOR_API_TOKENS: `demo-agent=${AGENT_TOKEN}`,
    RECONCILER_API_TOKENS: `demo-operator=${RECONCILER_TOKEN}`,
    WORKFLOW_DEFINITIONS_DIR: workflowsDir,
    WRITEBACK_REST_DESTINATIONS: JSON.stringify([
      {
        name: 'core-banking-rest',
        baseUrl: `http://127.0.0.1:${REST_CORE_PORT}`,
        auth: { type: 'bearer', token: CORE_TOKEN },
        apiVersions: ['2024-06-01', '2025-01-15'],
        timeouts: { connectMs: 500, requestMs: 2_000 },
        // The simulated core de-duplicates by key and its lookups read its own journal: no lag.
        honoursIdempotencyKey: true,
        lookupVisibilityMs: 3_000,
      },
    ]),
    WRITEBACK_SOAP_DESTINATIONS: JSON.stringify([
      {
        name: 'core-banking-soap',
        wsdlUrl: `http://127.0.0.1:${SOAP_CORE_PORT}/CoreBankingService?wsdl`,
        endpoint: `http://127.0.0.1:${SOAP_CORE_PORT}/CoreBankingService`,
        healthUrl: `http://127.0.0.1:${SOAP_CORE_PORT}/health`,
        soapVersion: '1.1',
        wsdlVersion: 'CoreBankingService-2019.2',
        timeouts: { connectMs: 500, requestMs: 2_500 },
        honoursIdempotencyKey: true,
        lookupVisibilityMs: 3_000,
      },
    ]),
    WRITEBACK_SFTP_DESTINATIONS: JSON.stringify([
      {
        name: 'core-banking-sftp',
        host: env['SFTP_HOST'],
        port: Number(env['SFTP_PORT']),
        username: env['SFTP_USERNAME'],
        privateKeyPath: env['SFTP_PRIVATE_KEY_PATH'],
        hostPublicKeyPath: env['SFTP_HOST_PUBLIC_KEY_PATH'],
        remoteDir: `${env['SFTP_REMOTE_ROOT']}/core-banking-sftp`,
        layoutVersion: 'payments-v1',
        // The simulated batch core answers a resubmitted key DUPLICATE with its original reference.
        honoursIdempotencyKey: true,
        batch: { maxRecords: 200, windowMs: 500 },
        receiptWindowMs: 8_000,
        receiptPollMs: 200,
      },
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
        wsdlUrl: `http://127.0.0.1:${SOAP_CORE_PORT}/CoreBankingService?wsdl`,
        healthUrl: `http://127.0.0.1:${SOAP_CORE_PORT}/health`,
      },
      {
        protocol: 'SFTP',
        destination: 'core-banking-sftp',
        host: env['SFTP_HOST'],
        port: Number(env['SFTP_PORT']),
        username: env['SFTP_USERNAME'],
        privateKeyPath: env['SFTP_PRIVATE_KEY_PATH'],
        hostPublicKeyPath: env['SFTP_HOST_PUBLIC_KEY_PATH'],
        remoteDir: `${env['SFTP_REMOTE_ROOT']}/core-banking-sftp`,
      },
    ]),
    RECONCILER_INTERVAL: '15000',
    RECONCILER_DESTINATIONS: 'core-banking-rest,core-banking-soap,core-banking-sftp',
  };
}

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
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function postTrigger(body: unknown): Promise<{ status: number; caseId?: string }> {
  const res = await fetch(ingestUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { caseId?: string };
  return { status: res.status, ...(json.caseId ? { caseId: json.caseId } : {}) };
}

async function api<T>(base: string, path: string, init: { method?: string } = {}): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${base === reconcilerUrl ? RECONCILER_TOKEN : AGENT_TOKEN}` },
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${base}${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function main(): Promise<void> {
  configureLogging({ level: 'warn', service: 'main-job' });
  say('starting tools/devstack (Kafka, Apicurio Registry, PostgreSQL, sshd)');
  execFileSync(devstackCommand, ['up'], { stdio: 'inherit' });
  const env = devstackEnv();
  // The seed workflows with a demo cadence: reminders after seconds instead of days, so the run shows them.
  const workflowsDir = writeDefinitions(join(repoRoot, '.devstack', 'demo', 'workflows'), {
    reminders: ['PT6S', 'PT12S'],
    expiry: 'PT25S',
    writebackLatencyCeiling: 'PT90S',
  });
  say(`seed workflows with a demo cadence (reminders 6 s / 12 s, expiry 25 s) in ${workflowsDir}`);
  startCores(env);
  await untilUp(`http://127.0.0.1:${SOAP_CORE_PORT}/health`, 30_000);

  const svcEnv = serviceEnv(env, workflowsDir);
  for (const s of services) {
    if (runningPid(s.name) !== undefined) say(`${s.name} already running`);
    else {
      // A stopped service's consumer groups start at the topics' current end: traffic that tests and benchmarks
      // left on this devstack since the last run is not this run's to work.
      await positionGroupsAtEnd(
        kafkaConnectionFromEnv(env),
        consumerGroupsOf(s.name).map(([groupId, topic]) => ({ groupId, topic })),
      );
      startService(s.name, s.port, envFor(s.name, svcEnv));
      say(`${s.name} starting on :${s.port} (log ${logFile(s.name)})`);
    }
    await waitUntilReady(s.name, s.port, 180_000);
  }
  console.log('\nservice            port  ready  checks');
  for (const s of services) {
    const r = await waitUntilReady(s.name, s.port, 10_000);
    const checks = Object.entries(r.checks ?? {})
      .map(([k, v]) => `${k}:${v.ok ? 'ok' : 'DOWN'}`)
      .join(' ');
    console.log(`${s.name.padEnd(18)} ${String(s.port).padEnd(5)} ${r.ready ? 'yes' : 'NO '}    ${checks}`);
  }
  console.log('');

  const kafka = new KafkaClient({
    clientId: `main-job-${randomUUID().slice(0, 8)}`,
    ...kafkaConnectionFromEnv(env),
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    topics: [Topics.outreachEvent, Topics.miniappAction],
  });
  await kafka.start();
  const group = `main-job.${randomUUID()}`;

  const plans = new Map<string, CustomerPlan>();
  const triggeredAt = new Map<string, number>();
  const actedAt = new Map<string, number>();
  const states = new Map<string, CaseState[]>();
  const results = new Map<string, WritebackResult[]>();
  const appliedAt = new Map<string, number>();
  const ourKeys = new Map<string, { caseId: string; destination: string }>();
  let actionDuplicates = 0;

  // An outreach can be read before the trigger POST that opened its case has returned here (a loaded machine answers
  // the HTTP call after the orchestrator already acted on the event): it waits for the case's plan.
  const beforePlan = new Map<string, OutreachRequested[]>();
  const act = async (o: OutreachRequested): Promise<void> => {
    const plan = plans.get(o.caseId);
    if (!plan) {
      beforePlan.set(o.caseId, [...(beforePlan.get(o.caseId) ?? []), o]);
      return;
    }
    if (o.attempt !== plan.actOnAttempt) return;
    const base = (overrides: Partial<MiniappAction>): MiniappAction => ({
      eventId: randomUUID(),
      occurredAt: Date.now(),
      correlationId: o.correlationId,
      causationId: o.eventId,
      idempotencyKey: `act-${o.caseId}-${plan.kind}`,
      caseId: o.caseId,
      workflowId: o.workflowId,
      actionId: randomUUID(),
      action: plan.action,
      identityMethod: 'OTP_AND_KNOWN_FACT',
      consentRef: `consent-${o.caseId}`,
      sessionRef: `sess-${o.caseId}`,
      parameters: plan.parameters,
      ...overrides,
    });
    const delivered = {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      correlationId: o.correlationId,
      causationId: o.eventId,
      caseId: o.caseId,
      outreachId: o.outreachId,
      channel: o.channel,
      status: 'DELIVERED' as const,
      providerRef: `sim-${o.outreachId}`,
      reason: null,
    };
    const actions: MiniappAction[] = [];
    switch (plan.kind) {
      case 'act':
        actions.push(base({}));
        break;
      case 'double-tap': {
        const first = base({});
        actions.push(first, { ...first, eventId: randomUUID() });
        break;
      }
      case 'wrong-then-right':
        actions.push(
          base({ idempotencyKey: `act-${o.caseId}-wrong`, parameters: plan.wrongParameters ?? {} }),
          base({}),
        );
        break;
      case 'decline':
        actions.push(base({ action: 'decline', parameters: { reason: 'prefers to call' } }));
        break;
      case 'ignore':
        return;
    }
    actedAt.set(o.caseId, Date.now());
    await kafka.publisher.publishMany([
      {
        topic: Topics.outreachEvent,
        key: { caseId: o.caseId },
        value: delivered,
        headers: { correlationId: o.correlationId },
      },
      ...actions.map(
        (a) =>
          ({
            topic: Topics.miniappAction,
            key: { caseId: o.caseId },
            value: a,
            headers: { correlationId: o.correlationId, idempotencyKey: a.idempotencyKey },
          }) as const,
      ),
    ]);
  };

  const subs = await Promise.all([
    kafka.subscriber.subscribe({
      groupId: `${group}.outreach`,
      topic: Topics.outreachRequested,
      handler: ({ value }) => act(value),
    }),
    kafka.subscriber.subscribe({
      groupId: `${group}.states`,
      topic: Topics.caseState,
      handler: async ({ value }) =>
        void states.set(value.caseId, [...(states.get(value.caseId) ?? []), value]),
    }),
    kafka.subscriber.subscribe({
      groupId: `${group}.requests`,
      topic: Topics.writebackRequested,
      handler: async ({ value }) => {
        if (plans.has(value.caseId))
          ourKeys.set(value.idempotencyKey, { caseId: value.caseId, destination: value.destination });
      },
    }),
    kafka.subscriber.subscribe({
      groupId: `${group}.results`,
      topic: Topics.writebackResult,
      handler: async ({ value }) => {
        if (!plans.has(value.caseId)) return;
        results.set(value.idempotencyKey, [...(results.get(value.idempotencyKey) ?? []), value]);
        if (value.status === 'APPLIED' && !value.duplicate) appliedAt.set(value.caseId, Date.now());
      },
    }),
    kafka.subscriber.subscribe({
      groupId: `${group}.audit`,
      topic: Topics.auditEvent,
      handler: async ({ value }) => {
        if (value.action === 'action.duplicate' && plans.has(value.correlationId)) actionDuplicates += 1;
      },
    }),
  ]);
  await Promise.all(subs.map((s) => s.whenPositioned()));

  // Progress, every 3 s.
  const terminal = new Set(['COMPLETED', 'EXCEPTION', 'EXPIRED', 'CLOSED']);
  const lastState = (caseId: string) => states.get(caseId)?.at(-1)?.state;
  const progress = setInterval(() => {
    let completed = 0;
    let exceptions = 0;
    let expired = 0;
    for (const id of plans.keys()) {
      const s = lastState(id);
      if (s === 'COMPLETED') completed += 1;
      else if (s === 'EXCEPTION') exceptions += 1;
      else if (s === 'EXPIRED') expired += 1;
    }
    const applied = [...results.values()].filter((r) => r.some((x) => x.status === 'APPLIED')).length;
    say(
      `progress: ${plans.size}/${CASES} triggered, ${actedAt.size} customers acted, ${completed} completed, ${exceptions} in exception, ${expired} expired; writebacks applied ${applied}/${ourKeys.size}`,
    );
  }, 3_000);

  const run = randomUUID().slice(0, 8);
  const runStarted = Date.now();
  say(`driving ${CASES} upstream triggers across the five seed workflows (run ${run}); ~3% are redelivered`);
  let redelivered = 0;
  let redeliveryDeduplicated = 0;
  let refused = 0;
  let killed = false;
  const sent: { body: Record<string, unknown>; caseId: string }[] = [];
  const INFLIGHT = 16;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= CASES) return;
      const scenario = SCENARIOS[i % SCENARIOS.length]!;
      const plan = customerPlan(scenario, random);
      const body = scenario.upstream(run, i, random);
      const res = await postTrigger(body);
      if (res.status !== 202 || !res.caseId) {
        refused += 1;
        continue;
      }
      plans.set(res.caseId, plan);
      triggeredAt.set(res.caseId, Date.now());
      for (const o of beforePlan.get(res.caseId) ?? []) await act(o);
      beforePlan.delete(res.caseId);
      sent.push({ body, caseId: res.caseId });
      if (random() < 0.03) {
        redelivered += 1;
        const again = await postTrigger(body);
        if (again.status === 200) redeliveryDeduplicated += 1;
      }
      if (!killed && i >= CASES / 2) {
        killed = true;
        say(
          'killing writeback-rest with SIGKILL mid-run (no drain, leases left behind); restarting it in 3 s',
        );
        stopService('writeback-rest', 'SIGKILL');
        await waitForExit('writeback-rest', 10_000);
        setTimeout(() => {
          startService('writeback-rest', port('writeback-rest'), envFor('writeback-rest', svcEnv));
          waitUntilReady('writeback-rest', port('writeback-rest'), 120_000).then(
            () =>
              say(
                'writeback-rest is back: it resolves what it left in flight by lookup before sending anything again',
              ),
            (err: unknown) => say(`writeback-rest did not come back: ${String(err)}`),
          );
        }, 3_000);
      }
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  say(
    `all ${plans.size} triggers accepted (${redelivered} redelivered, ${redeliveryDeduplicated} deduplicated, ${refused} refused)`,
  );

  // Until every case has settled: completed, in the exception queue, expired; at most 4 minutes.
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const open = [...plans.keys()].filter((id) => !terminal.has(lastState(id) ?? ''));
    if (open.length === 0) break;
    await sleep(1_000);
  }
  await sleep(2_000);
  clearInterval(progress);

  say('asking the reconciler for a pass against the cores’ own extracts');
  await api(reconcilerUrl, '/v1/reconcile', { method: 'POST' }).catch((err: unknown) =>
    say(`reconcile: ${String(err)}`),
  );
  const breaks = await api<{
    data: { kind: string; caseId: string | null; idempotencyKey: string | null; destination: string }[];
  }>(reconcilerUrl, '/v1/breaks?status=open');
  const slo = await api<unknown>(reconcilerUrl, '/v1/slo');
  const alerts = await api<{ data: { key: string; raisedAt: string }[] }>(
    reconcilerUrl,
    '/v1/alerts?status=open',
  );
  const exceptions = await api<{
    items: { caseId: string; kind: string; context: { whatWasTried?: { errorClass?: string } } }[];
  }>(
    orchestratorUrl,
    `/v1/exceptions?status=OPEN&limit=500&openedAfter=${new Date(runStarted).toISOString()}`,
  );
  await kafka.close();

  const mine = (id: string) => plans.has(id);
  const ours = (b: { caseId: string | null; idempotencyKey: string | null }) =>
    (b.caseId !== null && mine(b.caseId)) || (b.idempotencyKey !== null && ourKeys.has(b.idempotencyKey));
  const figures: RunFigures = {
    cases: plans.size,
    redelivered,
    redeliveryDeduplicated,
    refused,
    byWorkflow: countBy(
      [...plans.keys()].map((id) => sent.find((s) => s.caseId === id)!.body['eventType'] as string),
    ),
    plans: countBy([...plans.values()].map((p) => p.kind)),
    states: countBy([...plans.keys()].map((id) => lastState(id) ?? 'NONE')),
    straightThrough: [...plans.keys()].filter(
      (id) =>
        (states.get(id) ?? []).some((s) => s.state === 'COMPLETED') &&
        !(states.get(id) ?? []).some((s) => s.state === 'EXCEPTION'),
    ).length,
    writebacks: perDestination(results, ourKeys),
    triggerToApplied: [...appliedAt.entries()]
      .filter(([id]) => lastState(id) === 'COMPLETED')
      .map(([id, at]) => at - triggeredAt.get(id)!),
    actionToApplied: [...appliedAt.entries()]
      .filter(([id]) => lastState(id) === 'COMPLETED' && actedAt.has(id))
      .map(([id, at]) => at - actedAt.get(id)!),
    duplicatesPrevented: {
      upstream: redeliveryDeduplicated,
      customerActions: actionDuplicates,
      ledger: [...results.values()].flat().filter((r) => r.duplicate).length,
    },
    unknownsResolved: [...results.values()].filter(
      (r) =>
        r.some((x) => x.status === 'UNKNOWN') &&
        r.some((x) => x.status === 'APPLIED' || x.status === 'FAILED_PERMANENT'),
    ).length,
    unknownsOpen: [...results.values()].filter((r) => r.at(-1)?.status === 'UNKNOWN').length,
    exceptions: countBy(
      exceptions.items
        .filter((e) => mine(e.caseId))
        .map(
          (e) =>
            `${e.kind}${e.context.whatWasTried?.errorClass ? ` (${e.context.whatWasTried.errorClass})` : ''}`,
        ),
    ),
    // This run's breaks: on its cases or its writebacks. Others (earlier runs, tests on this devstack) are counted apart.
    breaks: countBy(breaks.data.filter(ours).map((b) => b.kind)),
    otherBreaks: breaks.data.filter((b) => !ours(b)).length,
    alerts: alerts.data.filter((a) => Date.parse(a.raisedAt) >= runStarted).map((a) => a.key),
    slo,
    elapsedS: (Date.now() - t0) / 1000,
  };
  printReport(figures, percentile);
  console.log(
    '\nThe platform is still running for a look around: services on http://127.0.0.1:3001..3009 (/health/ready, /metrics), ' +
      `the case API on ${orchestratorUrl}/v1/cases/<caseId> and ${orchestratorUrl}/v1/exceptions (bearer ${AGENT_TOKEN}), ` +
      `SLOs on ${reconcilerUrl}/v1/slo (bearer ${RECONCILER_TOKEN}). Stop it with \`npm run stop\`.`,
  );
  const settled = [...plans.keys()].every((id) => terminal.has(lastState(id) ?? ''));
  const unexplained = Object.values(figures.breaks).reduce((a, b) => a + b, 0);
  if (!settled || unexplained > 0 || figures.cases !== CASES) process.exitCode = 1;
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
    reconciler: [
      ['writeback-requested', Topics.writebackRequested],
      ['writeback-result', Topics.writebackResult],
      ['case-state', Topics.caseState],
    ],
  };
  const writeback: [string, string][] = [
    ['writeback-requested', Topics.writebackRequested],
    ['writeback-command', Topics.writebackCommand],
  ];
  const own = groups[service] ?? (service.startsWith('writeback-') ? writeback : []);
  return own.map(([g, t]) => [`${service}.${g}`, t]);
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

function perDestination(
  results: Map<string, WritebackResult[]>,
  keys: Map<string, { destination: string }>,
): RunFigures['writebacks'] {
  const out: RunFigures['writebacks'] = {};
  for (const [key, { destination }] of keys) {
    const rs = results.get(key) ?? [];
    const d = (out[destination] ??= { requested: 0, applied: 0, failedPermanent: 0, pending: 0 });
    d.requested += 1;
    if (rs.some((r) => r.status === 'APPLIED')) d.applied += 1;
    else if (rs.some((r) => r.status === 'FAILED_PERMANENT' || r.status === 'REJECTED_CONFLICT'))
      d.failedPermanent += 1;
    else d.pending += 1;
  }
  return out;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

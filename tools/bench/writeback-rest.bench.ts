/**
 * The price of reliability: writebacks through writeback-rest (Kafka → ledger → worker → core → outbox → Kafka)
 * next to the same HTTP calls made directly with axios, against the same zero-latency simulated core in the same
 * run; then the ledger's claims next to a plain INSERT loop on the same PostgreSQL.
 *
 *   node_modules/.bin/node -r @swc-node/register tools/bench/writeback-rest.bench.ts [N=5000] [concurrency=64]
 *
 * - direct axios: N POSTs, `concurrency` at a time over keep-alive connections; latency per call.
 * - writeback-rest, burst: N requests published at once; writebacks/s from the first publish to the last
 *   APPLIED result on writeback.result (latency here includes queueing behind the burst).
 * - writeback-rest, paced: requests published at half the burst rate for 10 s; latency from publish to the
 *   APPLIED result, which is what a case waits for.
 * Needs the devstack (`tools/devstack/devstack up`). Everything runs on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { Topics, type WritebackRequested } from '@closeout/contracts';
import {
  KafkaClient,
  positionGroupsAtEnd,
  type OutgoingEvent,
  kafkaConnectionFromEnv,
} from '@closeout/kafka';
import { localRequestSigning } from '@closeout/kafka';
import { configureLogging } from '@closeout/telemetry';
import { createWritebackDataSource } from '@closeout/writeback-core';
import { samplePaymentRequest } from '@closeout/writeback-core/testing';
import { defaultMappingRegistry, parseWritebackRequest } from '@closeout/writeback-domain';
import {
  devstackEnv,
  repoRoot,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from '../demo/services';
import { percentiles, type Row } from './figures';

const N = Number(process.argv[2] ?? 5_000);
const CONCURRENCY = Number(process.argv[3] ?? 64);
const CORE_PORT = 18_091;
const SERVICE_PORT = 3106;
const INSTANCE = 'writeback-rest-bench';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startCore(): Promise<ChildProcess> {
  const core = spawn(
    join(repoRoot, 'node_modules', '.bin', 'node'),
    ['-r', '@swc-node/register', 'tools/simulators/rest-core/main.ts', '--port', String(CORE_PORT)],
    { cwd: repoRoot, stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i += 1) {
    try {
      await axios.get(`http://127.0.0.1:${CORE_PORT}/health`, { timeout: 500 });
      return core;
    } catch {
      await sleep(200);
    }
  }
  core.kill();
  throw new Error(`the simulated core did not start on ${CORE_PORT}`);
}

async function direct(requests: WritebackRequested[]): Promise<Row> {
  const http = axios.create({
    baseURL: `http://127.0.0.1:${CORE_PORT}`,
    httpAgent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }),
    timeout: 5_000,
  });
  const mapping = defaultMappingRegistry.get('core-banking-rest', 'payment.post', '1');
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const wire = defaultMappingRegistry.toWire(mapping, parseWritebackRequest(request).payload as never);
        const t0 = performance.now();
        const res = await http.post('/api/payments', wire.body, {
          headers: { 'Idempotency-Key': request.idempotencyKey, 'Api-Version': wire.wireVersion },
        });
        if (res.status !== 201) throw new Error(`direct call answered ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    what: 'direct axios → core',
    n: requests.length,
    perSecond: requests.length / seconds,
    latency: percentiles(latencies),
    note: `${CONCURRENCY} in flight, keep-alive; no ledger, no Kafka`,
  };
}

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 100) throw new Error(`N must be an integer ≥ 100, got ${process.argv[2]}`);
  configureLogging({ level: 'warn', service: 'bench' });
  const env = devstackEnv();
  const run = randomBytes(3).toString('hex');
  const schema = `wb_bench_${run}`;
  const serviceName = `writeback-rest-b${run}`;
  console.log(
    `writeback-rest benchmark: N=${N}, concurrency=${CONCURRENCY}, ${cpus().length} CPUs, zero-latency core on :${CORE_PORT}, schema ${schema}`,
  );

  const core = await startCore();
  // Stands in for the orchestrator: its requests are signed with a key pair of this run's own.
  const signing = localRequestSigning(`bench-${run}`);
  const kafka = new KafkaClient({
    clientId: `bench-${run}`,
    signer: signing.signer,
    ...kafkaConnectionFromEnv(env),
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    topics: [Topics.writebackRequested, Topics.writebackResult],
  });
  const rows: Row[] = [];
  try {
    rows.push(
      await direct(Array.from({ length: N }, (_, i) => samplePaymentRequest(i, { customerId: `d${run}` }))),
    );

    await kafka.start();
    const appliedAt = new Map<string, number>();
    const results = await kafka.subscriber.subscribe({
      groupId: `bench-${run}.results`,
      topic: Topics.writebackResult,
      handler: ({ value }) => {
        if (value.status === 'APPLIED' && !value.duplicate)
          appliedAt.set(value.idempotencyKey, performance.now());
        return Promise.resolve();
      },
    });
    await results.whenPositioned();
    await positionGroupsAtEnd(kafkaConnectionFromEnv(env), [
      { groupId: `${serviceName}.writeback-requested`, topic: Topics.writebackRequested },
    ]);
    startService(
      INSTANCE,
      SERVICE_PORT,
      {
        ...env,
        SERVICE_NAME: serviceName,
        LOG_LEVEL: 'warn',
        // BENCH_PROFILE_DIR=/tmp/prof writes a V8 CPU profile of the service when it stops.
        ...(process.env['BENCH_PROFILE_DIR']
          ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env['BENCH_PROFILE_DIR']}` }
          : {}),
        // DB_PREPARED_STATEMENTS=false in the bench's environment measures the service without prepared statements.
        ...(process.env['DB_PREPARED_STATEMENTS']
          ? { DB_PREPARED_STATEMENTS: process.env['DB_PREPARED_STATEMENTS'] }
          : {}),
        ...signing.writebackEnv,
        WRITEBACK_DB_SCHEMA: schema,
        WRITEBACK_WORKER_CONCURRENCY: String(CONCURRENCY),
        WRITEBACK_WORKER_BATCH_SIZE: String(CONCURRENCY),
        WRITEBACK_REST_DESTINATIONS: JSON.stringify([
          {
            // Its own destination name with the real one's mappings: a running main job leaves these alone.
            name: 'core-banking-rest-bench',
            mappingsOf: 'core-banking-rest',
            baseUrl: `http://127.0.0.1:${CORE_PORT}`,
            auth: { type: 'none' },
            apiVersions: ['2024-06-01', '2025-01-15'],
            maxConnections: CONCURRENCY,
          },
        ]),
      },
      { app: 'writeback-rest' },
    );
    await waitUntilReady(INSTANCE, SERVICE_PORT, 120_000);

    const toEvent = (request: WritebackRequested): OutgoingEvent => ({
      topic: Topics.writebackRequested,
      key: { caseId: request.caseId },
      value: request,
      headers: { correlationId: request.correlationId, idempotencyKey: request.idempotencyKey },
    });
    const waitFor = async (keys: string[], timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!keys.every((k) => appliedAt.has(k))) {
        if (Date.now() > deadline) {
          throw new Error(`${keys.filter((k) => !appliedAt.has(k)).length} writebacks not applied in time`);
        }
        await sleep(20);
      }
    };

    // Warm-up: connections, schema ids, JIT.
    const warm = Array.from({ length: 200 }, (_, i) =>
      samplePaymentRequest(i, { customerId: `w${run}`, destination: 'core-banking-rest-bench' }),
    );
    await kafka.publisher.publishMany(warm.map(toEvent));
    await waitFor(
      warm.map((r) => r.idempotencyKey),
      60_000,
    );

    // Burst.
    const burst = Array.from({ length: N }, (_, i) =>
      samplePaymentRequest(i, { customerId: `b${run}`, destination: 'core-banking-rest-bench' }),
    );
    const publishedAt = new Map<string, number>();
    const burstStart = performance.now();
    for (let i = 0; i < burst.length; i += 500) {
      const slice = burst.slice(i, i + 500);
      const now = performance.now();
      for (const r of slice) publishedAt.set(r.idempotencyKey, now);
      await kafka.publisher.publishMany(slice.map(toEvent));
    }
    await waitFor(
      burst.map((r) => r.idempotencyKey),
      600_000,
    );
    const burstEnd = Math.max(...burst.map((r) => appliedAt.get(r.idempotencyKey)!));
    const burstRate = N / ((burstEnd - burstStart) / 1000);
    rows.push({
      what: 'writeback-rest, burst',
      n: N,
      perSecond: burstRate,
      latency: percentiles(
        burst.map((r) => appliedAt.get(r.idempotencyKey)! - publishedAt.get(r.idempotencyKey)!),
      ),
      note: 'first publish → last APPLIED result; latency includes the queue',
    });

    // Paced at half the burst rate for 10 s.
    const pacedRate = Math.max(10, Math.floor(burstRate / 2));
    const paced = Array.from({ length: pacedRate * 10 }, (_, i) =>
      samplePaymentRequest(i, { customerId: `p${run}`, destination: 'core-banking-rest-bench' }),
    );
    const tickMs = 20;
    const perTick = Math.max(1, Math.round((pacedRate * tickMs) / 1000));
    const pacedStart = performance.now();
    for (let i = 0; i < paced.length; i += perTick) {
      const slice = paced.slice(i, i + perTick);
      const now = performance.now();
      for (const r of slice) publishedAt.set(r.idempotencyKey, now);
      await kafka.publisher.publishMany(slice.map(toEvent));
      const due = pacedStart + ((i + perTick) / pacedRate) * 1000;
      await sleep(Math.max(0, due - performance.now()));
    }
    await waitFor(
      paced.map((r) => r.idempotencyKey),
      120_000,
    );
    rows.push({
      what: `writeback-rest, paced ${pacedRate}/s`,
      n: paced.length,
      perSecond:
        paced.length /
        ((Math.max(...paced.map((r) => appliedAt.get(r.idempotencyKey)!)) - pacedStart) / 1000),
      latency: percentiles(
        paced.map((r) => appliedAt.get(r.idempotencyKey)! - publishedAt.get(r.idempotencyKey)!),
      ),
      note: 'publish → APPLIED result on Kafka',
    });
    await results.stop();
  } finally {
    stopService(INSTANCE, 'SIGTERM');
    await waitForExit(INSTANCE, 15_000);
    await kafka.close();
    core.kill();
    const db = await createWritebackDataSource({ url: env['DATABASE_URL']!, schema, runMigrations: false });
    // BENCH_KEEP=1 keeps the ledger for a look at where the time went (created_at vs applied_at per row).
    if (process.env['BENCH_KEEP'] !== '1') await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  }

  const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
  console.log(
    `\n${'path'.padEnd(32)} ${'n'.padStart(6)} ${'per second'.padStart(11)} ${'p50'.padStart(10)} ${'p95'.padStart(10)} ${'p99'.padStart(10)}  note`,
  );
  for (const r of rows) {
    console.log(
      `${r.what.padEnd(32)} ${String(r.n).padStart(6)} ${r.perSecond.toFixed(0).padStart(11)} ${ms(r.latency.p50)} ${ms(r.latency.p95)} ${ms(r.latency.p99)}  ${r.note}`,
    );
  }
  const [directRow, burstRow] = rows;
  console.log(
    `\nprice of reliability: writeback-rest sustains ${((burstRow!.perSecond / directRow!.perSecond) * 100).toFixed(0)}% of the direct calls' rate (targets ≥ 1,200 writebacks/s and ≥ 80 % of direct: ${burstRow!.perSecond >= 1_200 && burstRow!.perSecond >= 0.8 * directRow!.perSecond ? 'met' : 'NOT met'})`,
  );

  console.log('\nledger claims vs a plain INSERT loop on the same PostgreSQL:');
  await new Promise<void>((resolve, reject) => {
    const bench = spawn(
      join(repoRoot, 'node_modules', '.bin', 'node'),
      ['-r', '@swc-node/register', 'libs/writeback/core/bench/ledger-claims.bench.ts', '5000', '4', '64'],
      { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, DATABASE_URL: env['DATABASE_URL'] } },
    );
    bench.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ledger bench exited ${code}`))));
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

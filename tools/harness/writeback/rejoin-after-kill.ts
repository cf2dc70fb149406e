/**
 * How long a writeback-rest process that replaces a killed one takes to consume again: a real writeback-rest process
 * is started, proven to consume, killed (SIGKILL: no LeaveGroup, the broker still counts the dead member until its
 * session times out; or SIGTERM: a graceful stop that leaves the group), started again, and a fresh
 * `writeback.requested` published right after the new start is timed until the new process has admitted it into its
 * ledger (its own durable record of having consumed it).
 *
 *   node_modules/.bin/node -r @swc-node/register tools/harness/writeback/rejoin-after-kill.ts [--signal SIGKILL|SIGTERM] [--rounds 3]
 *
 * Targets only 127.0.0.1; every wait is bounded.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { Topics, type WritebackRequested } from '@closeout/contracts';
import { KafkaClient, positionGroupsAtEnd, kafkaConnectionFromEnv } from '@closeout/kafka';
import { localRequestSigning } from '@closeout/kafka';
import { startRestCore } from '@closeout/simulators/rest-core';
import { createWritebackDataSource } from '@closeout/writeback-core';
import { freePort, samplePaymentRequest } from '@closeout/writeback-core/testing';
import {
  devstackEnv,
  logFile,
  runningPid,
  startService,
  stopService,
  waitForExit,
  waitUntilReady,
} from '../../demo/services';

export type StopSignal = 'SIGKILL' | 'SIGTERM';

export interface RejoinOptions {
  /** How the running process ends (default SIGKILL). */
  signal?: StopSignal;
  /** Kill-and-restart rounds; each is timed on its own (default 1). */
  rounds?: number;
  /** Pause between the old process's exit and the new start (default 0: a supervisor restarting at once). */
  restartDelayMs?: number;
  /** HTTP port of the instance (default: a free one). */
  port?: number;
  /** Extra environment for the service, e.g. consumer timings to compare. */
  serviceEnv?: Record<string, string>;
  /** Give up on one consumption after this long (default 90 s). */
  timeoutMs?: number;
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface RejoinRound {
  signal: StopSignal;
  /** New start → the fresh request is in the new process's ledger. */
  startToConsumedMs: number;
  /** New start → /health/ready answers 200. */
  startToReadyMs: number;
  /** The old process's exit → the fresh request consumed (restart delay included). */
  exitToConsumedMs: number;
}

export interface RejoinReport {
  runId: string;
  /** First boot of the instance → ready, for scale: the part of a rejoin no consumer setting can shorten. */
  coldBootMs: number;
  rounds: RejoinRound[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureRejoin(options: RejoinOptions = {}): Promise<RejoinReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const signal = options.signal ?? 'SIGKILL';
  const timeoutMs = options.timeoutMs ?? 90_000;
  const env = options.env ?? devstackEnv();
  const connection = kafkaConnectionFromEnv(env);
  const runId = randomBytes(3).toString('hex');
  const instance = `writeback-rest-rejoin-${runId}`;
  const schema = `wb_rejoin_${runId}`;
  const port = options.port ?? (await freePort());
  const destination = 'core-banking-rest-rejoin';

  const core = await startRestCore({ faults: [] });
  // Stands in for the orchestrator: its requests are signed with a key pair of this run's own.
  const signing = localRequestSigning(`rejoin-${runId}`);
  const kafka = new KafkaClient({
    clientId: `rejoin-${runId}`,
    signer: signing.signer,
    ...connection,
    schemaRegistryUrl: env['SCHEMA_REGISTRY_URL']!,
    topics: [Topics.writebackRequested],
  });
  let db: DataSource | undefined;
  try {
    await kafka.start();
    // Only what is published from now on: the devstack's topics may hold a long history.
    await positionGroupsAtEnd(connection, [
      { groupId: `${instance}.writeback-requested`, topic: Topics.writebackRequested },
      { groupId: `${instance}.writeback-command`, topic: Topics.writebackCommand },
    ]);
    const serviceEnv: Record<string, string> = {
      ...env,
      LOG_LEVEL: 'warn',
      ...signing.writebackEnv,
      WRITEBACK_DB_SCHEMA: schema,
      WRITEBACK_REST_DESTINATIONS: JSON.stringify([
        {
          name: destination,
          // The real destination's mappings under a name of its own: a main job running beside leaves these alone.
          mappingsOf: 'core-banking-rest',
          baseUrl: core.url,
          auth: { type: 'bearer', token: `rejoin-token-${runId}-0123456789` },
          apiVersions: ['2024-06-01', '2025-01-15'],
          timeouts: { connectMs: 500, requestMs: 1_500 },
        },
      ]),
      ...options.serviceEnv,
    };
    const start = () => startService(instance, port, serviceEnv, { app: 'writeback-rest' });

    const bootedAt = Date.now();
    start();
    await waitUntilReady(instance, port, 120_000);
    const coldBootMs = Date.now() - bootedAt;
    log(`writeback-rest up in ${(coldBootMs / 1000).toFixed(1)} s (${logFile(instance)})`);
    db = await createWritebackDataSource({
      url: env['DATABASE_URL']!,
      schema,
      poolSize: 2,
      runMigrations: false,
    });

    let n = 0;
    const request = (): WritebackRequested =>
      samplePaymentRequest(n++, {
        customerId: `rejoin-${runId}`,
        destination,
        caseId: `rejoin-${runId}-${n}`,
      });
    const admitted = async (key: string): Promise<boolean> => {
      const rows = (await db!.query(`SELECT 1 FROM "${schema}".ledger WHERE idempotency_key = $1`, [
        key,
      ])) as unknown[];
      return rows.length > 0;
    };
    const publishAndTime = async (since: number): Promise<number> => {
      const r = request();
      await kafka.publisher.publish(Topics.writebackRequested, { caseId: r.caseId }, r, {
        correlationId: r.correlationId,
        idempotencyKey: r.idempotencyKey,
      });
      const deadline = Date.now() + timeoutMs;
      while (!(await admitted(r.idempotencyKey))) {
        if (Date.now() > deadline)
          throw new Error(`request not consumed within ${timeoutMs} ms; see ${logFile(instance)}`);
        await sleep(50);
      }
      return Date.now() - since;
    };

    // The first instance consumes: the group has a live member when it is killed, as in production.
    await publishAndTime(Date.now());

    const rounds: RejoinRound[] = [];
    for (let round = 0; round < (options.rounds ?? 1); round += 1) {
      stopService(instance, signal);
      if (!(await waitForExit(instance, 60_000))) throw new Error(`${instance} did not exit after ${signal}`);
      const exitedAt = Date.now();
      if (options.restartDelayMs) await sleep(options.restartDelayMs);
      const startedAt = Date.now();
      start();
      let readyAt = 0;
      const ready = waitUntilReady(instance, port, 120_000).then(() => (readyAt = Date.now()));
      const startToConsumedMs = await publishAndTime(startedAt);
      await ready;
      const figures: RejoinRound = {
        signal,
        startToConsumedMs,
        startToReadyMs: readyAt - startedAt,
        exitToConsumedMs: startedAt + startToConsumedMs - exitedAt,
      };
      rounds.push(figures);
      log(
        `${signal} round ${round + 1}: consumed ${(startToConsumedMs / 1000).toFixed(1)} s after the new start ` +
          `(ready after ${(figures.startToReadyMs / 1000).toFixed(1)} s; ${(figures.exitToConsumedMs / 1000).toFixed(1)} s after the exit)`,
      );
    }
    return { runId, coldBootMs, rounds };
  } finally {
    if (runningPid(instance) !== undefined) {
      stopService(instance, 'SIGTERM');
      if (!(await waitForExit(instance, 30_000))) stopService(instance, 'SIGKILL');
    }
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db?.destroy().catch(() => undefined);
    await kafka.close();
    await core.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      signal: { type: 'string', default: 'SIGKILL' },
      rounds: { type: 'string', default: '3' },
      delay: { type: 'string', default: '0' },
      port: { type: 'string' },
    },
  });
  const signal = values.signal.toUpperCase();
  if (signal !== 'SIGKILL' && signal !== 'SIGTERM')
    throw new Error(`--signal: SIGKILL or SIGTERM, got "${values.signal}"`);
  const report = await measureRejoin({
    signal,
    rounds: Number(values.rounds),
    restartDelayMs: Number(values.delay),
    ...(values.port ? { port: Number(values.port) } : {}),
  });
  const consumed = report.rounds.map((r) => r.startToConsumedMs / 1000);
  console.log(
    `\nrejoin after ${signal}: consumed ${consumed.map((s) => s.toFixed(1)).join(', ')} s after the new start ` +
      `(max ${Math.max(...consumed).toFixed(1)} s; cold boot ${(report.coldBootMs / 1000).toFixed(1)} s)`,
  );
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

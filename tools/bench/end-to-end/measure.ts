/**
 * The benchmark's runs: the raw Kafka rate for scale, the warm-up, and the measured run with metrics, CPU and
 * pg_stat_activity sampled around it; then the cores' and the ledger's own times of each case.
 */
import { randomUUID } from 'node:crypto';
import type { CaseStack, Instance } from '../../e2e/case-stack';
import { runningPid } from '../../demo/services';
import { benchRaw, type Result as RawResult } from '../kafka-throughput';
import { ledgerTimes, type LedgerTimes } from './analysis';
import type { Args } from './args';
import type { Bench, Phase } from './driver';
import { cpuSnapshot, DbActivity, scrape, type CpuSnapshot, type Samples } from './machine';
import { readStatements, resetStatements, withClient, type StatementStats } from './statements';

/** Raw kafkajs JSON produce and consume msg/s on the same broker (best of 2), before the stack exists. */
export interface RawKafka {
  produceMsgS: number;
  consumeMsgS: number;
  bothMsgS: number;
}

export async function measureRawKafka(kafkaN: number): Promise<RawKafka> {
  const raws: RawResult[] = [];
  for (let round = 0; round < 2; round++) raws.push(await benchRaw(randomUUID().slice(0, 8), kafkaN));
  const produceMs = Math.min(...raws.map((r) => r.produceMs));
  const consumeMs = Math.min(...raws.map((r) => r.consumeMs));
  const raw = {
    produceMsgS: (kafkaN * 1000) / produceMs,
    consumeMsgS: (kafkaN * 1000) / consumeMs,
    bothMsgS: (kafkaN * 1000) / (produceMs + consumeMs),
  };
  console.log(
    `raw kafkajs JSON (tools/bench/kafka-throughput.ts core, N=${kafkaN}, best of 2): produce ${raw.produceMsgS.toFixed(0)} msg/s, consume ${raw.consumeMsgS.toFixed(0)} msg/s, produce+consume ${raw.bothMsgS.toFixed(0)} msg/s`,
  );
  return raw;
}

/** A plain INSERT loop on the same PostgreSQL, before the stack exists: the floor of what one written row costs. */
export interface PlainInsert {
  rows: number;
  rowsPerS: number;
}

/**
 * `rows` single-row INSERTs (a bigserial key, a text id, a small jsonb), one after another on one connection, each
 * its own transaction (autocommit, so one WAL flush per row, as each decision of a case has), sent as one prepared
 * statement, as the services send theirs. In a throwaway table dropped at the end.
 */
export async function measurePlainInsert(databaseUrl: string, rows = 5_000): Promise<PlainInsert> {
  const table = `bench_plain_insert_${randomUUID().slice(0, 8)}`;
  return withClient(
    databaseUrl,
    async (db) => {
      try {
        await db.query(
          `CREATE TABLE ${table} (id bigserial PRIMARY KEY, case_id text NOT NULL, detail jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
        );
        const started = process.hrtime.bigint();
        for (let i = 0; i < rows; i++) {
          await db.query({
            name: 'plain-insert',
            text: `INSERT INTO ${table} (case_id, detail) VALUES ($1, $2::jsonb)`,
            values: [`case_${i}`, JSON.stringify({ kind: 'bench', n: i })],
          });
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const result = { rows, rowsPerS: rows / seconds };
        console.log(
          `plain INSERT (one connection, one prepared single-row INSERT per transaction, N=${rows}): ${result.rowsPerS.toFixed(0)} rows/s, ${((seconds * 1000) / rows).toFixed(2)} ms per row`,
        );
        return result;
      } finally {
        await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      }
    },
    'e2e-bench-plain-insert',
  );
}

/** Warm-up (JIT, connections, schema ids, pools), not counted; any failed case stops the run. */
export async function warmUp(b: Bench, args: Args, deadline: number): Promise<void> {
  if (args.warmup === 0) return;
  console.log(`warm-up: ${args.warmup} cases`);
  const warm = await b.drive('warmup', args.warmup, 0, deadline);
  const failed = warm.runs.filter((r) => r.failed);
  if (failed.length > 0) throw new Error(`warm-up: ${failed.length} cases failed, e.g. ${failed[0]!.failed}`);
}

/** The measured run and what the machine and the services did meanwhile. */
export interface Measured {
  phase: Phase;
  instances: Instance[];
  /** /metrics of each instance before and after. */
  before: Samples[];
  after: Samples[];
  cpuBefore: CpuSnapshot;
  cpuAfter: CpuSnapshot;
  benchCpu: NodeJS.CpuUsage;
  /** Each instance's process id at the end of the run. */
  pids: Map<string, number | undefined>;
  /** Average connections per state, per service. */
  dbActivity: Map<string, [string, number][]>;
  /** pg_stat_statements over the run, or why there is none. */
  statements: StatementStats | string;
}

export async function measuredRun(
  b: Bench,
  stack: CaseStack,
  env: Record<string, string>,
  args: Args,
  deadline: number,
): Promise<Measured> {
  const instances = stack.instanceList();
  const before = await Promise.all(instances.map((i) => scrape(i.port)));
  let activity: DbActivity | undefined = new DbActivity(env['DATABASE_URL']!, () => {
    const pids = new Map<number, string>();
    for (const i of instances) {
      const pid = runningPid(i.name);
      if (pid !== undefined) pids.set(pid, i.app);
    }
    return pids;
  });
  // Optional evidence: on a machine out of PostgreSQL connections the run goes on without it.
  await activity.start().catch((e: unknown) => {
    console.log(`  (pg_stat_activity sampling unavailable: ${(e as Error).message})`);
    activity = undefined;
  });
  try {
    const statementsUnavailable = await resetStatements(env['DATABASE_URL']!);
    const cpuBefore = cpuSnapshot();
    const benchCpuBefore = process.cpuUsage();
    console.log(`measured run: ${args.n} cases, ${args.inFlight} in flight`);
    const phase = await b.drive('measured', args.n, args.warmup, deadline);
    const cpuAfter = cpuSnapshot();
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const dbActivity = (await activity?.stop()) ?? new Map<string, [string, number][]>();
    const statements =
      statementsUnavailable ??
      (await readStatements(env['DATABASE_URL']!)) ??
      'pg_stat_statements could not be read';
    const after = await Promise.all(instances.map((i) => scrape(i.port)));
    const pids = new Map(instances.map((i) => [i.name, runningPid(i.name)]));
    return { phase, instances, before, after, cpuBefore, cpuAfter, benchCpu, pids, dbActivity, statements };
  } finally {
    await activity?.stop();
  }
}

/** Each writeback's time inside the REST and SOAP cores (receivedAt → committedAt), by idempotency key. */
export function coreTimes(stack: CaseStack): Map<string, [number, number]> {
  const cores = new Map<string, [number, number]>();
  for (const e of stack.rest.journal()) {
    if (e.idempotencyKey) cores.set(e.idempotencyKey, [Date.parse(e.receivedAt), Date.parse(e.committedAt)]);
  }
  for (const e of stack.soap.journal()) {
    if (e.idempotencyKey) cores.set(e.idempotencyKey, [Date.parse(e.receivedAt), Date.parse(e.committedAt)]);
  }
  return cores;
}

/** The ledger's created/started/finished times of each applied writeback; none when they cannot be read. */
export async function ledgerTimesOrNone(
  databaseUrl: string,
  schemas: string[],
): Promise<Map<string, LedgerTimes>> {
  return ledgerTimes(databaseUrl, schemas).catch((e: unknown) => {
    console.log(`  (ledger times unavailable, the writeback hop is not split: ${(e as Error).message})`);
    return new Map<string, LedgerTimes>();
  });
}

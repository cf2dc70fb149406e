/**
 * Cases per second and latency end to end: trigger-ingest, the orchestrator and the writeback services as separate
 * processes (tools/e2e/case-stack.ts) against the devstack and zero-latency simulated cores, driven as fast as the
 * platform absorbs cases with a bounded number in flight. The same machine's raw Kafka rate is measured first for scale.
 *
 *   node_modules/.bin/node -r @swc-node/register tools/bench/end-to-end.bench.ts [N=3000] [inFlight=200]
 *     [--workflows rest|all] [--warmup 100] [--timeout-s 900] [--kafka-n 20000]
 *     [--env app:KEY=VALUE]... [--all-services] [--tracing off|zipkin|both] [--rate casesPerSecond]
 *
 * One case: the upstream event is POSTed to trigger-ingest (keep-alive, one socket per case in flight) → when the
 * orchestrator's outreach.requested for the case is seen, a miniapp.action stands in for the customer (published in
 * batches with publishMany, as case-stack does) → the case is done when its case.state COMPLETED and an APPLIED
 * writeback.result for each of its required writebacks have been seen on Kafka.
 *
 * - `--workflows rest` (default): document-collection (1 REST writeback) and kyc-refresh (2) alternately; the SOAP and
 *   SFTP services are not started (`--all-services` starts them anyway, idle but consuming every request).
 * - `--workflows all`: the five seed workflows in turn (SOAP and SFTP included), with figures per destination.
 * - `--rate R` starts R cases per second (still at most inFlight open) for latency at a given load; without it a new
 *   case starts as soon as one finishes, for throughput.
 * - Cadence PATIENT_CADENCE (no reminder or expiry fires during the run), no faults in the cores.
 * - Latency is "trigger POST sent → last required writeback APPLIED seen"; "added latency" subtracts the time the
 *   simulated cores spent on the case (from their journals, receivedAt → committedAt, merged per case).
 * - The split per hop comes from timestamps already on the messages: occurredAt (set in the producing transaction),
 *   the Kafka record timestamp (set when the producer sent it, i.e. by the outbox relay), the bench's own clock when it
 *   saw the message, and the writeback ledger's rows (created_at, attempt started_at/finished_at).
 * - Where time goes: /metrics of every service (handler durations, CPU, event-loop lag, Kafka messages published)
 *   and /proc CPU of the broker, the registry, PostgreSQL and everything else on the machine, over the measured run.
 *
 * The parts: end-to-end/args.ts (options, workloads), rig.ts (setup and teardown), driver.ts (load generation),
 * measure.ts and machine.ts (measurement), analysis.ts (figures per case), report.ts (what is printed).
 *
 * - `--tracing off` runs the services with OTEL_SDK_DISABLED=true, `--tracing zipkin` exports every span to the
 *   devstack's Zipkin (ZIPKIN_ENDPOINT), `--tracing both` does a whole run (stack, warm-up, measured run) with each,
 *   off first, and prints both throughputs and the overhead of tracing. Unset: the environment decides.
 *
 * Environment: BENCH_PROFILE_DIR=/tmp/prof writes a V8 CPU profile of every service when it stops; BENCH_KEEP=1
 * keeps the stack's PostgreSQL schemas. Needs the devstack (`tools/devstack/devstack up`). Only 127.0.0.1 targets.
 */
import { configureLogging } from '@closeout/telemetry';
import { devstackEnv } from '../devstack/devstack-env';
import { summarize } from './end-to-end/analysis';
import { parseArgs, tracingEnv, tracingModes, APPS, type Args, type TracingMode } from './end-to-end/args';
import {
  coreTimes,
  ledgerTimesOrNone,
  measuredRun,
  measurePlainInsert,
  measureRawKafka,
  warmUp,
} from './end-to-end/measure';
import { printHeader, printReport } from './end-to-end/report';
import { BenchRig, writebackServicesFor } from './end-to-end/rig';
import { now } from './end-to-end/stats';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  configureLogging({ level: 'warn', service: 'e2e-bench' });
  const env = localDevstackEnv();
  const writebackServices = writebackServicesFor(args);
  printHeader(args, writebackServices);

  // 1. The machine's raw Kafka rate, for scale (before the stack exists, so it competes only with the rest of the machine).
  const raw = await measureRawKafka(args.kafkaN);
  // And its plain INSERT rate on the same PostgreSQL: the floor of a written row.
  const insert = await measurePlainInsert(env['DATABASE_URL']!);
  const rates: Array<{ mode: TracingMode | undefined; steady: number; whole: number }> = [];
  for (const mode of tracingModes(args)) {
    if (mode)
      console.log(
        `\n##### tracing ${mode === 'off' ? 'off (OTEL_SDK_DISABLED=true)' : 'on, exported to Zipkin'}`,
      );
    const runArgs = withTracing(args, mode, env);
    const deadline = now() + args.timeoutS * 1000;
    // 2. The stack, the watcher and the driver; everything it starts is stopped at the end, on error or Ctrl-C too.
    const rig = new BenchRig(env, runArgs, writebackServices);
    try {
      const bench = await rig.start();
      // 3. Warm-up, not counted. 4. The measured run, with metrics and CPU snapshots around it.
      await warmUp(bench, runArgs, deadline);
      const measured = await measuredRun(bench, rig.stack, env, runArgs, deadline);
      // 5. Figures, where the time goes, and the target.
      const cores = coreTimes(rig.stack);
      const ledger = await ledgerTimesOrNone(env['DATABASE_URL']!, rig.writebackSchemas());
      const summary = summarize(bench, measured.phase, cores, ledger);
      printReport({ args: runArgs, bench, measured, summary, cores, raw, insert });
      rates.push({ mode, steady: summary.steady, whole: summary.whole });
    } finally {
      await rig.close();
    }
  }
  printTracingOverhead(rates);
}

/** The run's options with every service's tracing set for `mode` (an explicit --env still wins). */
function withTracing(args: Args, mode: TracingMode | undefined, env: Record<string, string>): Args {
  const tracing = tracingEnv(mode, env);
  return {
    ...args,
    env: Object.fromEntries(APPS.map((app) => [app, { ...tracing, ...args.env[app] }])),
  };
}

/** With tracing off and on in one run: both throughputs and what tracing costs (target: at most 10 %). */
function printTracingOverhead(
  rates: Array<{ mode: TracingMode | undefined; steady: number; whole: number }>,
): void {
  const off = rates.find((r) => r.mode === 'off');
  const on = rates.find((r) => r.mode === 'zipkin');
  if (!off || !on) return;
  const overhead = (a: number, b: number) => ((a - b) / a) * 100;
  console.log('\n=== tracing overhead (same machine, same run, off first)');
  console.log(
    `  cases/s steady middle: off ${off.steady.toFixed(1)}, on (Zipkin) ${on.steady.toFixed(1)} → overhead ${overhead(off.steady, on.steady).toFixed(1)} %`,
  );
  console.log(
    `  cases/s whole run:     off ${off.whole.toFixed(1)}, on (Zipkin) ${on.whole.toFixed(1)} → overhead ${overhead(off.whole, on.whole).toFixed(1)} %`,
  );
  console.log(
    `  target ≤ 10 % of throughput: ${overhead(off.steady, on.steady) <= 10 ? 'met' : 'not met'} (steady middle)`,
  );
}

/** The devstack's environment, refused unless every broker, URL and host is on 127.0.0.1. */
function localDevstackEnv(): Record<string, string> {
  const env = devstackEnv();
  for (const [k, v] of Object.entries(env)) {
    if (/(BROKERS|_URL|_HOST)$/.test(k) && !/127\.0\.0\.1/.test(v)) {
      throw new Error(`${k}=${v}: this benchmark only targets 127.0.0.1`);
    }
  }
  return env;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

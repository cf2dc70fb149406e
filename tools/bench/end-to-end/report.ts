/**
 * The benchmark's report: throughput, latency (whole run and steady middle), the split per hop, figures per
 * destination and workflow, where the time goes (CPU, Kafka handlers, each service, PostgreSQL connections), and a
 * line against the target.
 */
import { cpus } from 'node:os';
import { HOPS, type CaseFigures, type RunSummary } from './analysis';
import { WORKLOADS, type Args } from './args';
import type { Bench } from './driver';
import { CLK_TCK, delta, seriesLabels } from './machine';
import type { Measured, PlainInsert, RawKafka } from './measure';
import { ms, pctHeader, pctRow, pcts } from './stats';
import { statementLines } from './statements';

/** Throughput, from a run as fast as the platform takes cases; latency, from a run paced at TARGET_LATENCY_RATE. */
const TARGET_CASES_PER_S = 150;
const TARGET_P95_ADDED_MS = 200;
const TARGET_LATENCY_RATE = 50;

export function printHeader(args: Args, writebackServices: readonly string[]): void {
  console.log(
    `end-to-end benchmark: N=${args.n} (+${args.warmup} warm-up), ${args.inFlight} cases in flight, workflows ${WORKLOADS[
      args.workflows
    ]
      .map((s) => s.workflowId)
      .join(
        ', ',
      )}; ${cpus().length} CPUs; services: trigger-ingest, orchestrator, ${writebackServices.join(', ')}`,
  );
  const settings = Object.entries(args.env)
    .map(
      ([app, env]) =>
        `${app} ${Object.entries(env ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
    )
    .join('; ');
  console.log(`service settings beyond the stack's: ${settings}`);
}

export function printReport(o: {
  args: Args;
  bench: Bench;
  measured: Measured;
  summary: RunSummary;
  cores: Map<string, [number, number]>;
  raw: RawKafka;
  insert: PlainInsert;
}): void {
  printThroughput(o.args, o.bench, o.measured, o.summary);
  printLatency(o.summary);
  printHops(o.summary);
  if (o.args.workflows === 'all') printPerDestination(o.bench, o.summary, o.cores);
  printWhereTheTimeGoes(o.args, o.measured, o.summary, o.raw, o.insert);
  printAgainstTarget(o.args, o.summary);
}

function printThroughput(args: Args, b: Bench, { phase }: Measured, s: RunSummary): void {
  console.log(`\n=== throughput (${args.n} cases, ${args.inFlight} in flight, ${s.wall.toFixed(1)} s)`);
  console.log(`  cases/s, steady middle (completions 10%–90%): ${s.steady.toFixed(1)}`);
  console.log(`  cases/s, whole run (first POST → last done):   ${s.whole.toFixed(1)}`);
  const shared = phase.runs.filter((r) => {
    const c = r.caseId === undefined ? undefined : b.messages.get(r.caseId);
    return c !== undefined && (c.outreachIds.size > 1 || c.completedIds.size > 1);
  }).length;
  if (shared > 0) {
    console.log(
      `  WARNING: ${shared} of the ${args.n} cases were also opened or completed by another orchestrator reading the same` +
        ' topics (e.g. the main job of tools/demo, or another stack): its outreach, writebacks and results mix with this' +
        " run's, and the figures are not clean. Re-run with nothing else consuming the contract topics.",
    );
  }
  const failed = s.failed;
  console.log(
    `  failed or unfinished: ${failed.length}${failed.length ? ` (e.g. ${failed[0]!.failed})` : ''}; action batches published: ${b.actionBatches} (${(args.n / Math.max(1, b.actionBatches)).toFixed(1)} actions per publishMany on average, warm-up included)`,
  );
}

function printLatency(s: RunSummary): void {
  const latencyTable = (title: string, fs: CaseFigures[]) => {
    console.log(`\n=== latency, ${title} (${fs.length} cases)`);
    console.log(pctHeader(''));
    console.log(pctRow('trigger POST sent → last writeback APPLIED seen', pcts(fs.map((f) => f.latency))));
    console.log(pctRow("simulated cores' own time on the case", pcts(fs.map((f) => f.coreMs))));
    console.log(
      pctRow('added latency (the above minus core time)', pcts(fs.map((f) => f.latency - f.coreMs))),
    );
    console.log(
      pctRow(
        "added, without the bench's mini-app stand-in",
        pcts(fs.map((f) => f.latency - f.coreMs - f.standIn)),
      ),
    );
    console.log(pctRow('trigger POST sent → case.state COMPLETED seen', pcts(fs.map((f) => f.toDone))));
  };
  latencyTable('whole run', s.figures);
  latencyTable('steady middle', s.steadyFigures);
  console.log(
    "  core time = union of [receivedAt, committedAt] of the case's postings in the REST/SOAP cores' journals (ms" +
      ' resolution; the SFTP batch core has no per-record receive time, so 0 there); "stand-in" = outreach.requested' +
      " sent → miniapp.action published by this script, i.e. the customer's reaction time, which a real case does not" +
      ' count as platform time',
  );
}

function printHops({ steadyFigures }: RunSummary): void {
  console.log(
    `\n=== split per hop, critical path of each case (steady middle, ${steadyFigures.length} cases)`,
  );
  console.log(pctHeader('hop'));
  for (const [key, label] of HOPS) console.log(pctRow(label, pcts(steadyFigures.map((f) => f.hops[key]!))));
  const means = HOPS.slice(1).map(([k]) => pcts(steadyFigures.map((f) => f.hops[k]!)).mean);
  console.log(
    `  sum of the hop means (POST sent → COMPLETED seen): ${ms(means.reduce((a, v) => a + (Number.isFinite(v) ? v : 0), 0))}; clocks: occurredAt and` +
      " ledger times are set inside each transaction, Kafka timestamps when the producer sent; all on this machine's clock",
  );
}

function printPerDestination(b: Bench, s: RunSummary, cores: Map<string, [number, number]>): void {
  console.log('\n=== per destination and workflow (steady middle)');
  const perDest = new Map<string, { total: number[]; core: number[]; count: number }>();
  const measuredIds = new Set(s.steadyFigures.map((f) => f.run.caseId!));
  for (const caseId of measuredIds) {
    for (const [key, w] of b.messages.get(caseId)!.writebacks) {
      if (!w.requested || !w.applied) continue;
      const d = perDest.get(w.destination) ?? { total: [], core: [], count: 0 };
      d.count += 1;
      d.total.push(w.applied.occurredAt - w.requested.ts);
      const core = cores.get(key);
      d.core.push(core ? core[1] - core[0] : 0);
      perDest.set(w.destination, d);
    }
  }
  const span = (s.doneTimes[s.hi]! - s.doneTimes[s.lo]!) / 1000;
  console.log(pctHeader('writeback.requested sent → APPLIED tx, by destination'));
  for (const [dest, d] of [...perDest].sort()) {
    console.log(pctRow(`${dest} (${d.count}, ${(d.count / span).toFixed(0)}/s)`, pcts(d.total)));
    console.log(pctRow('  of which the core itself', pcts(d.core)));
  }
  console.log(pctHeader('trigger sent → last APPLIED seen, by workflow'));
  for (const sample of WORKLOADS.all) {
    const fs = s.steadyFigures.filter((f) => f.workflowId === sample.workflowId);
    console.log(pctRow(`${sample.workflowId} (${fs.length})`, pcts(fs.map((f) => f.latency))));
  }
}

function printWhereTheTimeGoes(
  args: Args,
  m: Measured,
  s: RunSummary,
  raw: RawKafka,
  insert: PlainInsert,
): void {
  const { cpuBefore, cpuAfter, benchCpu, instances, before, after, dbActivity } = m;
  const wallS = (cpuAfter.at - cpuBefore.at) / 1000;
  console.log(`\n=== where the time goes (measured run, ${wallS.toFixed(1)} s; % = share of one core)`);
  const machineCores = cpus().length;
  const machineBusy =
    ((cpuAfter.machineBusy - cpuBefore.machineBusy) / (cpuAfter.machineTotal - cpuBefore.machineTotal)) *
    machineCores;
  const procCpu = (match: (p: { comm: string; cmd: string }, pid: number) => boolean) => {
    let ticks = 0;
    for (const [pid, p] of cpuAfter.pids) {
      if (match(p, pid)) ticks += p.ticks - (cpuBefore.pids.get(pid)?.ticks ?? 0);
    }
    return ticks / CLK_TCK / wallS;
  };
  const rows: [string, number][] = [];
  for (const i of instances) {
    const pid = m.pids.get(i.name);
    rows.push([i.app, procCpu((_, p) => p === pid)]);
  }
  rows.push([
    'this script (driver, watcher, in-process cores)',
    (benchCpu.user + benchCpu.system) / 1e6 / wallS,
  ]);
  rows.push(['Kafka broker', procCpu((p) => p.cmd.includes('kafka.Kafka'))]);
  rows.push(['schema registry', procCpu((p) => p.cmd.includes('apicurio-registry'))]);
  rows.push(['PostgreSQL (every backend, other users too) ≈', procCpu((p) => p.comm === 'postgres')]);
  const tracked = rows.reduce((a, [, v]) => a + v, 0);
  const completed = m.phase.runs.length - s.failed.length;
  const perCaseMs = (share: number) => (share * wallS * 1000) / Math.max(1, completed);
  console.log(`  machine: ${(machineBusy * 100).toFixed(0)}% busy of ${machineCores * 100}%`);
  console.log(`  ${''.padEnd(54)} ${'CPU'.padStart(6)} ${'CPU ms/case'.padStart(12)}`);
  for (const [name, v] of rows) {
    console.log(
      `  ${name.padEnd(54)} ${`${(v * 100).toFixed(0)}%`.padStart(6)} ${perCaseMs(v).toFixed(1).padStart(12)}`,
    );
  }
  // PostgreSQL's own background work (vacuum, WAL, checkpoints), within the PostgreSQL line above.
  const background = procCpu(
    (p) => p.comm === 'postgres' && /autovacuum|walwriter|checkpointer|background writer/.test(p.cmd),
  );
  console.log(
    `  ${'  of which background (autovacuum, WAL writer, checkpointer, bgwriter)'.padEnd(54)} ${`${(background * 100).toFixed(0)}%`.padStart(6)} ${perCaseMs(background).toFixed(1).padStart(12)}`,
  );
  console.log(
    `  ${'everything else on the machine (other tests, tsc …)'.padEnd(54)} ${`${(Math.max(0, machineBusy - tracked) * 100).toFixed(0)}%`.padStart(6)}`,
  );
  console.log(
    `  the platform and this script spent ${perCaseMs(tracked).toFixed(1)} ms of CPU per case: ${machineCores} cores alone` +
      ` would allow ≈ ${((machineCores * 1000) / perCaseMs(tracked)).toFixed(0)} cases/s at that cost`,
  );

  console.log('\n  Kafka handlers (closeout_kafka_handler_duration_seconds):');
  console.log(
    `  ${'service'.padEnd(16)} ${'topic'.padEnd(24)} ${'handled'.padStart(8)} ${'mean'.padStart(9)} ${'busy'.padStart(6)}`,
  );
  let published = 0;
  instances.forEach((inst, idx) => {
    const [a0, a1] = [before[idx]!, after[idx]!];
    const topics = new Set(
      seriesLabels(a1, 'closeout_kafka_handler_duration_seconds_count').map((l) => l['topic']!),
    );
    for (const topic of [...topics].sort()) {
      const count = delta(
        a0,
        a1,
        'closeout_kafka_handler_duration_seconds_count',
        (l) => l['topic'] === topic,
      );
      const sum = delta(a0, a1, 'closeout_kafka_handler_duration_seconds_sum', (l) => l['topic'] === topic);
      if (count === 0) continue;
      console.log(
        `  ${inst.app.padEnd(16)} ${topic.padEnd(24)} ${String(count).padStart(8)} ${ms((sum / count) * 1000)} ${`${((sum / wallS) * 100).toFixed(0)}%`.padStart(6)}`,
      );
    }
    published += delta(a0, a1, 'closeout_kafka_messages_published_total');
  });
  console.log(
    "  (busy = handler-seconds per second: >100% means handlers overlap; a handler's time includes its database waits)",
  );

  console.log('\n  per service:');
  instances.forEach((inst, idx) => {
    const [a0, a1] = [before[idx]!, after[idx]!];
    const parts: string[] = [];
    const lag = a1.get('nodejs_eventloop_lag_p99_seconds');
    if (lag !== undefined) parts.push(`event-loop lag p99 ${ms(lag * 1000, 0)}`);
    const pub = delta(a0, a1, 'closeout_kafka_messages_published_total');
    parts.push(`${(pub / args.n).toFixed(1)} Kafka messages published per case`);
    const retried = delta(a0, a1, 'closeout_kafka_handler_failures_total', (l) => l['kind'] === 'transient');
    if (retried > 0) parts.push(`${retried} handler failures retried in place (the partition waits)`);
    const dlq = delta(a0, a1, 'closeout_kafka_dlq_messages_total');
    if (dlq > 0) parts.push(`${dlq} dead-lettered`);
    const outbox = delta(a0, a1, 'closeout_outbox_published_total');
    if (outbox > 0) parts.push(`${outbox} via the outbox`);
    const calls = delta(a0, a1, 'closeout_writeback_call_duration_seconds_count');
    if (calls > 0) {
      const sum = delta(a0, a1, 'closeout_writeback_call_duration_seconds_sum');
      parts.push(`${calls} core calls, mean ${ms((sum / calls) * 1000, 0)}`);
    }
    const settled = delta(a0, a1, 'closeout_writeback_settle_duration_seconds_count');
    if (settled > 0) {
      const sum = delta(a0, a1, 'closeout_writeback_settle_duration_seconds_sum');
      parts.push(`request → settled mean ${ms((sum / settled) * 1000, 0)}`);
    }
    console.log(`  ${inst.app.padEnd(16)} ${parts.join('; ')}`);
  });
  console.log(
    '\n  PostgreSQL connections per service, average number in each state (pg_stat_activity every 100 ms):',
  );
  for (const inst of instances) {
    const states = dbActivity.get(inst.app) ?? [];
    const open = states.reduce((a, [, v]) => a + v, 0);
    console.log(
      `  ${inst.app.padEnd(16)} ${open.toFixed(1)} open: ${states
        .filter(([, v]) => v >= 0.05)
        .map(([st, v]) => `${st} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
  }
  if (typeof m.statements === 'string') console.log(`  PostgreSQL statements: not counted (${m.statements})`);
  else {
    for (const line of statementLines(m.statements, args.n)) console.log(line);
    const perCase = m.statements.rows.reduce((a, r) => a + r.calls, 0) / args.n;
    console.log(
      `  PostgreSQL: at the plain INSERT rate above (${insert.rowsPerS.toFixed(0)}/s, one connection), ${perCase.toFixed(1)}` +
        ` statements per case one after another would allow ≈ ${(insert.rowsPerS / perCase).toFixed(0)} cases/s`,
    );
  }
  const perCase = published / args.n;
  console.log(
    `  Kafka: ${perCase.toFixed(1)} messages published per case by the services (+1 action by this script); at the raw` +
      ` produce+consume rate above that alone would allow ≈ ${(raw.bothMsgS / (perCase + 1)).toFixed(0)} cases/s`,
  );
}

function printAgainstTarget(args: Args, s: RunSummary): void {
  const steadyAdded = pcts(s.steadyFigures.map((f) => f.latency - f.coreMs));
  if (args.rate === undefined) {
    console.log(
      `\ntarget ≥ ${TARGET_CASES_PER_S} cases/s (as fast as it takes them, ${args.inFlight} in flight): measured ` +
        `${s.steady.toFixed(1)} cases/s (steady) → ${s.steady >= TARGET_CASES_PER_S ? 'MET' : 'NOT met'}; ` +
        `p95 added latency ${steadyAdded.p95.toFixed(0)} ms at that load (the latency target is measured paced: ` +
        `--rate ${TARGET_LATENCY_RATE})`,
    );
    return;
  }
  const kept = s.steady >= args.rate * 0.95;
  const judged = args.rate >= TARGET_LATENCY_RATE && kept;
  console.log(
    `\ntarget p95 added latency ≤ ${TARGET_P95_ADDED_MS} ms at ${TARGET_LATENCY_RATE} cases/s: measured ` +
      `${steadyAdded.p95.toFixed(0)} ms at ${s.steady.toFixed(1)} cases/s (paced at ${args.rate}/s${kept ? '' : ', not kept up with'}) → ` +
      (judged
        ? steadyAdded.p95 <= TARGET_P95_ADDED_MS
          ? 'MET'
          : 'NOT met'
        : `not judged (needs --rate ≥ ${TARGET_LATENCY_RATE} kept up with)`),
  );
}

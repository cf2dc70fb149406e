/**
 * What the platform costs while nothing happens: the nine services as the main job leaves them running (`npm start`
 * ends with them up), sampled over a quiet window. Per service it prints memory (RSS; PSS, its share of pages it
 * shares with other processes; the V8 heap in use) and CPU per second; beside them the broker's, the registry's and
 * PostgreSQL's CPU over the same window, and the statements per second PostgreSQL ran with the busiest of them
 * (pg_stat_statements, when the server loads it: docs/performance.md). Idle work is what every replica pays all day
 * whatever its traffic: polls, heartbeats, scrapes.
 *
 * A window in which a service handled a Kafka message is not idle: the benchmark says so and exits non-zero.
 * Target: each service ≤ 150 MB RSS idle.
 *
 *   npm start -- --cases 20        # leaves the nine services running
 *   node_modules/.bin/node -r @swc-node/register tools/bench/idle.bench.ts [seconds, default 30] [--settle 10]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { platformServices, runningPid } from '../demo/services';
import { CLK_TCK, cpuSnapshot, delta, scrape, type CpuSnapshot } from './end-to-end/machine';
import { readStatements, resetStatements, statementsByText } from './end-to-end/statements';

const RSS_TARGET_MB = 150;

interface Memory {
  rssMb: number;
  pssMb: number;
}

function memoryOf(pid: number): Memory | undefined {
  try {
    const kb = (text: string, field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rssMb: kb(rollup, 'Rss') / 1024, pssMb: kb(rollup, 'Pss') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU ticks spent between two snapshots by the processes `match` picks (those that ended in between are lost). */
function ticksOf(
  before: CpuSnapshot,
  after: CpuSnapshot,
  match: (p: { comm: string; cmd: string }, pid: number) => boolean,
): number {
  let ticks = 0;
  for (const [pid, p] of after.pids) {
    if (!match(p, pid)) continue;
    ticks += p.ticks - (before.pids.get(pid)?.ticks ?? 0);
  }
  return ticks;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { settle: { type: 'string', default: '10' } },
  });
  const seconds = Number(positionals[0] ?? 30);
  const settle = Number(values.settle);
  if (!Number.isFinite(seconds) || seconds < 5 || seconds > 600)
    throw new Error('seconds: must be from 5 to 600');
  if (!Number.isFinite(settle) || settle < 0 || settle > 600)
    throw new Error('--settle: must be from 0 to 600');
  const running = platformServices.map((s) => ({ ...s, pid: runningPid(s.name) }));
  const missing = running.filter((s) => s.pid === undefined).map((s) => s.name);
  if (missing.length > 0) {
    console.error(`not running: ${missing.join(', ')}. Start the platform first: npm start -- --cases 20`);
    process.exit(2);
  }
  const databaseUrl = process.env['DATABASE_URL'];
  console.log(
    `idle benchmark: the nine services as they run now, ${settle} s to settle, then ${seconds} s sampled; ${availableParallelism()} CPUs`,
  );
  await new Promise((r) => setTimeout(r, settle * 1000));

  const scrapesBefore = await Promise.all(running.map((s) => scrape(s.port)));
  const unmeasured = databaseUrl ? await resetStatements(databaseUrl) : 'DATABASE_URL is not set';
  const before = cpuSnapshot();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = cpuSnapshot();
  const statements = databaseUrl && !unmeasured ? await readStatements(databaseUrl) : undefined;
  const scrapesAfter = await Promise.all(running.map((s) => scrape(s.port)));
  const elapsed = (after.at - before.at) / 1000;
  const msPerSecond = (ticks: number) => ((ticks * 1000) / CLK_TCK / elapsed).toFixed(1);

  console.log('\n  service             RSS MB   PSS MB   heap used MB   CPU ms/s   Kafka messages handled');
  let overTarget = 0;
  let busy = false;
  running.forEach((s, i) => {
    const mem = memoryOf(s.pid!);
    const heap = (scrapesAfter[i]!.get('nodejs_heap_size_used_bytes') ?? NaN) / 1024 / 1024;
    const messages = delta(
      scrapesBefore[i]!,
      scrapesAfter[i]!,
      'closeout_kafka_handler_duration_seconds_count',
    );
    if (messages > 0) busy = true;
    if ((mem?.rssMb ?? 0) > RSS_TARGET_MB) overTarget += 1;
    console.log(
      `  ${s.name.padEnd(18)} ${(mem?.rssMb ?? NaN).toFixed(0).padStart(7)} ${(mem?.pssMb ?? NaN).toFixed(0).padStart(8)} ` +
        `${heap.toFixed(1).padStart(14)} ${msPerSecond(ticksOf(before, after, (_, pid) => pid === s.pid)).padStart(10)} ` +
        `${String(messages).padStart(24)}`,
    );
  });
  const services = new Set(running.map((s) => s.pid!));
  const all = ticksOf(before, after, (_, pid) => services.has(pid));
  console.log(
    `  ${'the nine together'.padEnd(18)} ${''.padStart(7)} ${''.padStart(8)} ${''.padStart(14)} ${msPerSecond(all).padStart(10)}`,
  );
  console.log('\n  beside them                          CPU ms/s');
  const others: Array<[string, (p: { comm: string; cmd: string }) => boolean]> = [
    ['Kafka broker', (p) => p.comm === 'java' && p.cmd.includes('kafka.Kafka')],
    ['schema registry', (p) => p.comm === 'java' && p.cmd.includes('apicurio')],
    ['Zipkin', (p) => p.comm === 'java' && p.cmd.includes('zipkin')],
    ['PostgreSQL (every process)', (p) => p.comm === 'postgres' || p.cmd.startsWith('postgres:')],
  ];
  for (const [name, match] of others)
    console.log(`  ${name.padEnd(36)} ${msPerSecond(ticksOf(before, after, match)).padStart(8)}`);
  console.log(
    `  machine                              ${msPerSecond(after.machineBusy - before.machineBusy).padStart(8)} (of ${availableParallelism() * 1000})`,
  );

  if (statements) {
    const rows = statements.rows.filter((r) => r.calls > 0);
    const calls = rows.reduce((a, r) => a + r.calls, 0);
    const ms = rows.reduce((a, r) => a + r.totalMs, 0);
    console.log(
      `\n  PostgreSQL (pg_stat_statements, this database): ${(calls / elapsed).toFixed(1)} statements/s, ` +
        `${(ms / elapsed).toFixed(2)} ms executing per second; the most frequent:`,
    );
    for (const r of statementsByText(rows, 100)
      .sort((a, b) => b.calls - a.calls)
      .slice(0, 12))
      console.log(`  ${(r.calls / elapsed).toFixed(1).padStart(7)}/s  ${r.query}`);
  } else {
    console.log(
      `\n  PostgreSQL statements not counted: ${unmeasured ?? 'pg_stat_statements could not be read'}`,
    );
  }

  console.log(
    `\ntarget each service ≤ ${RSS_TARGET_MB} MB RSS idle: ${overTarget === 0 ? 'met' : `NOT met (${overTarget} of 9 above)`}`,
  );
  if (busy) {
    console.error(
      'the window was not idle: a service handled Kafka messages during it (see the last column)',
    );
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

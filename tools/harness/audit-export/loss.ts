/**
 * Loss test of the SIEM export, bounded (exits 1 past LOSS_DEADLINE_S, default 900 s), printing figures.
 *
 *   eval "$(tools/devstack/devstack env)" && node -r @swc-node/register tools/harness/audit-export/loss.ts
 *
 * LOSS_EVENTS (default 20000) audit records in a throwaway schema, exported by a separate exporter process to the
 * simulated Splunk HEC (in this process: 503 busy, acks that stay false, acks lost, then down for LOSS_HEC_DOWN_S,
 * default 60 s) and the devstack's rsyslog over TLS (stopped and started again). The exporter is SIGKILLed and
 * restarted twice. Proof from the receivers' own records: every event id in the HEC's index and in rsyslog's file,
 * repeats counted per id.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startSplunkHec } from '../../simulators/splunk-hec';
import {
  freshExportSchema,
  type FreshExportSchema,
} from '../../../apps/audit-exporter/src/export/test-support/fresh-export-schema';

const ROOT = join(__dirname, '..', '..', '..');
const EVENTS = Number(process.env['LOSS_EVENTS'] ?? 20_000);
const HEC_DOWN_MS = Number(process.env['LOSS_HEC_DOWN_S'] ?? 60) * 1000;
const DEADLINE_MS = Number(process.env['LOSS_DEADLINE_S'] ?? 900) * 1000;
const APPEND_STEP = Number(process.env['LOSS_APPEND_STEP'] ?? 200);
const TOKEN = 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff';
const RSYSLOG_PID = join(ROOT, '.devstack', 'rsyslog', 'rsyslogd.pid');
const t0 = Date.now();

function say(line: string): void {
  process.stdout.write(`[loss ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} unset: eval "$(tools/devstack/devstack env)"`);
  return v;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() - t0 > DEADLINE_MS) throw new Error(`deadline passed waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function position(store: FreshExportSchema, sink: string): Promise<number> {
  const rows = (await store.dataSource.query('SELECT last_seq FROM sink_position WHERE sink = $1', [
    sink,
  ])) as { last_seq: string }[];
  return Number(rows[0]?.last_seq ?? 0);
}

function startExporter(schema: string, hecUrl: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, 'exporter-process.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        LOSS_SCHEMA: schema,
        AUDIT_HEC_ENABLED: 'true',
        AUDIT_HEC_URL: hecUrl,
        AUDIT_HEC_TOKEN: TOKEN,
        AUDIT_HEC_BATCH_SIZE: '200',
        AUDIT_HEC_ACK_POLL_MS: '100',
        AUDIT_HEC_ACK_TIMEOUT_MS: '3000',
        AUDIT_HEC_REQUEST_TIMEOUT_MS: '2000',
        AUDIT_SYSLOG_ENABLED: 'true',
        AUDIT_SYSLOG_BATCH_SIZE: '200',
        AUDIT_EXPORT_POLL_MS: '100',
        AUDIT_EXPORT_MAX_BACKOFF_MS: '2000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return child;
}

function sigkill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Event ids in rsyslog's file written after `offset`, with their counts. */
function syslogCounts(file: string, offset: number): Map<string, number> {
  const counts = new Map<string, number>();
  const text = readFileSync(file).subarray(offset).toString('utf8');
  for (const m of text.matchAll(/ \[closeout@32473 eventId="([^"]+)"/g))
    counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}

async function main(): Promise<void> {
  const outFile = env('AUDIT_SYSLOG_OUTPUT_FILE');
  env('AUDIT_SYSLOG_CA_FILE');
  const offset = statSync(outFile).size;
  const store = await freshExportSchema('audit_export_loss');
  const hec = await startSplunkHec({
    tokens: [TOKEN],
    faults: [
      { mode: 'busy', rate: 0.05, retryAfterSeconds: 0 },
      { mode: 'acks_stay_false', rate: 0.03 },
      { mode: 'acks_lost', rate: 0.02 },
    ],
  });
  let exporter: ChildProcess | undefined;
  let appending = true;
  try {
    // The store keeps growing while the faults happen, as it does under live traffic: a tenth first, then the rest
    // in steps of LOSS_APPEND_STEP every second.
    say(
      `schema ${store.schema}; ${EVENTS} chained audit records, a tenth now and the rest while the faults run`,
    );
    const ids = await store.append(Math.floor(EVENTS / 10));
    const appender = (async () => {
      while (ids.length < EVENTS && appending) {
        await new Promise((r) => setTimeout(r, 1_000));
        ids.push(...(await store.append(Math.min(APPEND_STEP, EVENTS - ids.length))));
      }
    })();
    say(
      `HEC at ${hec.url} (busy 5%, acks stay false 3%, acks lost 2%); rsyslog at ${env('AUDIT_SYSLOG_HOST')}:${env('AUDIT_SYSLOG_PORT')}`,
    );
    exporter = startExporter(store.schema, hec.url);
    const figuresNow = async (): Promise<string> =>
      `stored ${ids.length}, HEC ${await position(store, 'hec')}, syslog ${await position(store, 'syslog')}`;

    await until('the first HEC deliveries', async () => (await position(store, 'hec')) > 0);
    await new Promise((r) => setTimeout(r, 5_000));
    say(`${await figuresNow()}: SIGKILL exporter (1/2), restart`);
    await sigkill(exporter);
    exporter = startExporter(store.schema, hec.url);

    await new Promise((r) => setTimeout(r, 10_000));
    say(`${await figuresNow()}: HEC down for ${HEC_DOWN_MS / 1000} s`);
    await hec.goDown(HEC_DOWN_MS);
    const downAt = Date.now();

    await new Promise((r) => setTimeout(r, 5_000));
    const rsyslogPid = Number(readFileSync(RSYSLOG_PID, 'utf8').trim());
    say(`${await figuresNow()}: stopping rsyslog (pid ${rsyslogPid}, SIGTERM)`);
    process.kill(rsyslogPid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 5_000));
    say(`${await figuresNow()}: SIGKILL exporter (2/2), restart`);
    await sigkill(exporter);
    exporter = startExporter(store.schema, hec.url);
    await new Promise((r) => setTimeout(r, 10_000));
    say(`${await figuresNow()}: starting rsyslog again (tools/devstack/devstack up)`);
    execFileSync(join(ROOT, 'tools', 'devstack', 'devstack'), ['up'], { stdio: 'ignore' });
    say(
      `rsyslog up again; HEC back in ${Math.max(0, (downAt + HEC_DOWN_MS - Date.now()) / 1000).toFixed(0)} s`,
    );
    await appender;
    say(`${await figuresNow()}: all records stored`);

    await until(
      'both positions at the end',
      async () => (await position(store, 'hec')) === EVENTS && (await position(store, 'syslog')) === EVENTS,
    );
    say('both sinks caught up; stopping the exporter (SIGTERM)');
    await new Promise<void>((resolve) => {
      exporter!.once('exit', () => resolve());
      exporter!.kill('SIGTERM');
    });
    exporter = undefined;

    const hecCounts = hec.counts();
    const sysCounts = syslogCounts(outFile, offset);
    const lostHec = ids.filter((id) => !hecCounts.has(id)).length;
    const lostSys = ids.filter((id) => !sysCounts.has(id)).length;
    const known = new Set(ids);
    const foreignHec = [...hecCounts.keys()].filter((id) => !known.has(id)).length;
    const repeatsOf = (c: Map<string, number> | ReadonlyMap<string, number>): number =>
      [...c.values()].reduce((s, n) => s + n - 1, 0);
    const stats = hec.stats();
    const figures = {
      events: EVENTS,
      seconds: Math.round((Date.now() - t0) / 1000),
      hec: {
        indexed: stats.eventsIndexed,
        unique: hecCounts.size,
        lost: lostHec,
        repeats: repeatsOf(hecCounts),
        eventsIndexedMoreThanOnce: [...hecCounts.values()].filter((n) => n > 1).length,
        foreignIds: foreignHec,
        faultsInjected: stats.faultsInjected,
        answers: stats.answers,
      },
      syslog: {
        lines: [...sysCounts.values()].reduce((s, n) => s + n, 0),
        unique: sysCounts.size,
        lost: lostSys,
        repeats: repeatsOf(sysCounts),
        eventsWrittenMoreThanOnce: [...sysCounts.values()].filter((n) => n > 1).length,
      },
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    if (lostHec > 0 || lostSys > 0 || foreignHec > 0)
      throw new Error(`LOST: ${lostHec} at the HEC, ${lostSys} at rsyslog`);
    say('0 lost at either sink; every repeat carries the same event id (counted by id)');
  } finally {
    appending = false;
    if (exporter) await sigkill(exporter);
    await hec.close();
    await store.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`loss test FAILED: ${(error as Error).message}\n`);
    process.exit(1);
  },
);

/**
 * The main job's audit trail: the audit-exporter keeps the run's trail in a store of its own (schema
 * `audit_main_<run>`), signs its checkpoints with a key made for the run, and exports every record to a simulated
 * Splunk HEC (in this process, indexer acknowledgement on) and to the devstack's rsyslog over TLS. At the end of the
 * run the job waits until every audit event the run's services published is stored and both sinks have delivered
 * them, verifies the store as an auditor would (`npm run audit:verify` with the public key alone), reads one completed
 * case's story through the case query, and counts what each SIEM received from its own records.
 *
 * The run's key, public key and tokens live in `.devstack/demo/audit/<run>/` (the private key readable by its owner
 * only) and are never printed; the last three runs' stores and keys are kept, older ones removed.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { verdict } from '../../apps/audit-exporter/src/verify/audit-verify.cli';
import type { VerifyReport } from '../../apps/audit-exporter/src/verify/verify-store';
import { startSplunkHec, type SplunkHec } from '../simulators/splunk-hec';
import { sleep } from './clock';
import { repoRoot } from './services';

const AUDIT_DIR = join(repoRoot, '.devstack', 'demo', 'audit');
const RUN_NAME = /^[0-9a-f]{8}$/;
const KEEP_RUNS = 3;
/** The simulated HEC's port (in this process: it stops with the job). */
const HEC_PORT = 8098;
const AUDIT_EXPORTER_PORT = 3009;

/** The run's audit store, its key and the secrets between the job, the audit-exporter and the simulated HEC. */
export interface AuditRun {
  run: string;
  schema: string;
  keyFile: string;
  publicKeyFile: string;
  keyId: string;
  apiToken: string;
  hecToken: string;
  /** RFC 5424 HOSTNAME of the run's syslog messages: tells them apart in rsyslog's file, shared with tests. */
  syslogHostname: string;
  /** rsyslog's output file and its size when the run began. */
  syslogFile: string;
  syslogOffset: number;
  hec: SplunkHec;
}

export const auditSchemaOf = (run: string): string => `audit_main_${run}`;

/**
 * Makes the run's Ed25519 key (PKCS#8 PEM, mode 0600) and its public half, removes the stores and keys of runs
 * before the last three, and starts the simulated HEC with the run's token.
 */
export async function prepareAuditRun(run: string, env: Record<string, string>): Promise<AuditRun> {
  if (!RUN_NAME.test(run)) throw new Error(`run id ${run}: must be 8 lower-case hex digits`);
  const dir = join(AUDIT_DIR, run);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = join(dir, 'signing.pem');
  const publicKeyFile = join(dir, 'signing.pub.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  await pruneEarlierRuns(run, env['DATABASE_URL']!);
  const hecToken = randomUUID();
  const hec = await startSplunkHec({ port: HEC_PORT, host: '127.0.0.1', tokens: [hecToken] });
  const syslogFile = env['AUDIT_SYSLOG_OUTPUT_FILE']!;
  return {
    run,
    schema: auditSchemaOf(run),
    keyFile,
    publicKeyFile,
    keyId: `main-job-${run}`,
    apiToken: randomBytes(32).toString('base64url'),
    hecToken,
    syslogHostname: `closeout-main-${run}`,
    syslogFile,
    syslogOffset: existsSync(syslogFile) ? statSync(syslogFile).size : 0,
    hec,
  };
}

/** The audit-exporter's settings for the run: its store, key, API token and both SIEM sinks. */
export function auditExporterEnv(a: AuditRun, env: Record<string, string>): Record<string, string> {
  return {
    AUDIT_DB_SCHEMA: a.schema,
    AUDIT_API_TOKENS: `main-job=${a.apiToken}`,
    AUDIT_SIGNING_KEY_FILE: a.keyFile,
    AUDIT_SIGNING_KEY_ID: a.keyId,
    // A demo cadence: a checkpoint every 1,000 records or 10 s, so the run's end is sealed within seconds.
    AUDIT_CHECKPOINT_EVERY_RECORDS: '1000',
    AUDIT_CHECKPOINT_EVERY_MS: '10000',
    AUDIT_HEC_ENABLED: 'true',
    AUDIT_HEC_URL: a.hec.url,
    AUDIT_HEC_TOKEN: a.hecToken,
    AUDIT_HEC_ACK_POLL_MS: '250',
    AUDIT_HEC_ACK_TIMEOUT_MS: '10000',
    AUDIT_SYSLOG_ENABLED: 'true',
    AUDIT_SYSLOG_HOST: env['AUDIT_SYSLOG_HOST']!,
    AUDIT_SYSLOG_PORT: env['AUDIT_SYSLOG_PORT']!,
    AUDIT_SYSLOG_CA_FILE: env['AUDIT_SYSLOG_CA_FILE']!,
    AUDIT_SYSLOG_HOSTNAME: a.syslogHostname,
  };
}

async function pruneEarlierRuns(current: string, databaseUrl: string): Promise<void> {
  const runs = readdirSync(AUDIT_DIR)
    .filter((name) => RUN_NAME.test(name) && name !== current)
    .map((name) => ({ name, at: statSync(join(AUDIT_DIR, name)).mtimeMs }))
    .sort((x, y) => y.at - x.at);
  const old = runs.slice(KEEP_RUNS - 1);
  if (old.length === 0) return;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const { name } of old) {
      await db.query(`DROP SCHEMA IF EXISTS "${auditSchemaOf(name)}" CASCADE`);
      rmSync(join(AUDIT_DIR, name), { recursive: true, force: true });
    }
  } finally {
    await db.end();
  }
}

/** What one sink delivered, from the audit-exporter's metrics and the receiver's own records. */
export interface SinkFigures {
  exported: number;
  resent: number;
  lagSeconds: number;
  /** Events the receiver holds for the run (HEC: indexed; rsyslog: lines), repeats included, and distinct ids. */
  received: number;
  unique: number;
  /** Stored records (up to the store's end when the job looked) the receiver does not hold. */
  missing: number;
}

export interface AuditFigures {
  schema: string;
  /** Audit events the run's services published while the job watched, and how many of them are stored. */
  published: number;
  stored: number;
  /** The store's end when the job looked (its last seq), and how long catching up took. */
  storeEnd: number;
  caughtUpS: number;
  verdict: string;
  verified: boolean;
  caseStory?: { caseId: string; events: number; first: string; last: string };
  hec: SinkFigures;
  syslog: SinkFigures;
  /** What did not happen within the time allowed (empty when all did). */
  problems: string[];
}

/**
 * After the cases settle: waits until the store holds every audit event in `published` (the ids the run's services
 * published, as the job saw them on the topic), both sinks have delivered the store up to its end and a checkpoint
 * seals it; then verifies, reads `completedCase`'s story and counts what each receiver holds.
 */
export async function settleAuditTrail(
  a: AuditRun,
  env: Record<string, string>,
  published: ReadonlySet<string>,
  completedCase: string | undefined,
): Promise<AuditFigures> {
  const started = Date.now();
  const problems: string[] = [];
  const db = new Client({ connectionString: env['DATABASE_URL']! });
  await db.connect();
  const table = (name: string) => `"${a.schema}".${name}`;
  const one = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number(((await db.query(sql, params)).rows[0] as { n: string | null } | undefined)?.n ?? 0);
  try {
    const ids = [...published];
    const storedOf = () =>
      one(`SELECT count(*) AS n FROM ${table('record')} WHERE event_id = ANY($1::text[])`, [ids]);
    let stored = 0;
    const until = async (what: string, ms: number, check: () => Promise<boolean>): Promise<boolean> => {
      const deadline = Date.now() + ms;
      for (;;) {
        if (await check()) return true;
        if (Date.now() > deadline) {
          problems.push(`${what} not within ${ms / 1000} s`);
          return false;
        }
        await sleep(500);
      }
    };
    await until(
      'store caught up with the topic',
      180_000,
      async () => (stored = await storedOf()) === ids.length,
    );
    const storeEnd = await one(`SELECT max(seq) AS n FROM ${table('record')}`);
    const position = (sink: string) =>
      one(`SELECT last_seq AS n FROM ${table('sink_position')} WHERE sink = $1`, [sink]);
    await until(
      'both sinks delivered the store',
      180_000,
      async () => (await position('hec')) >= storeEnd && (await position('syslog')) >= storeEnd,
    );
    // The checkpoint timer seals a quiet store within 1¼ periods (12.5 s here).
    await until(
      'a checkpoint sealing the store',
      30_000,
      async () => (await one(`SELECT max(last_record_seq) AS n FROM ${table('checkpoint')}`)) >= storeEnd,
    );
    const caughtUpS = (Date.now() - started) / 1000;

    const report = await auditVerify(a, env);
    const storeIds = (
      (await db.query(`SELECT event_id FROM ${table('record')} WHERE seq <= $1`, [storeEnd])).rows as {
        event_id: string;
      }[]
    ).map((r) => r.event_id);
    const metrics = await exporterMetrics();
    const hecCounts = a.hec.counts();
    const sysCounts = syslogCounts(a);
    const sink = (name: string, counts: ReadonlyMap<string, number>): SinkFigures => ({
      exported: metrics.get(`closeout_audit_export_events_total:${name}`) ?? 0,
      resent: metrics.get(`closeout_audit_export_resent_total:${name}`) ?? 0,
      lagSeconds: metrics.get(`closeout_audit_export_lag_seconds:${name}`) ?? 0,
      received: [...counts.values()].reduce((s, n) => s + n, 0),
      unique: counts.size,
      missing: storeIds.filter((id) => !counts.has(id)).length,
    });
    const story = completedCase ? await caseStory(a, completedCase) : undefined;
    return {
      schema: a.schema,
      published: ids.length,
      stored,
      storeEnd,
      caughtUpS,
      verdict: verdict(report),
      verified: report.ok,
      ...(story ? { caseStory: story } : {}),
      hec: sink('hec', hecCounts),
      syslog: sink('syslog', sysCounts),
      problems,
    };
  } finally {
    await db.end();
  }
}

/** `npm run audit:verify` with the run's public key alone (an auditor's view), its JSON report. */
function auditVerify(a: AuditRun, env: Record<string, string>): Promise<VerifyReport> {
  const node = join(repoRoot, 'node_modules', '.bin', 'node');
  const cli = join(repoRoot, 'apps', 'audit-exporter', 'src', 'verify', 'audit-verify.cli.ts');
  const args = ['-r', '@swc-node/register', cli, '--public-key', a.publicKeyFile];
  args.push('--schema', a.schema, '--key-id', a.keyId, '--json');
  return new Promise((resolve, reject) => {
    execFile(
      node,
      args,
      { cwd: repoRoot, env: { ...process.env, DATABASE_URL: env['DATABASE_URL']! }, timeout: 300_000 },
      (error, stdout, stderr) => {
        // Exit 0 verified, 1 broken (both print the report), 2 could not run.
        if (error && error.code !== 1) reject(new Error(`audit:verify: ${stderr.trim() || error.message}`));
        else resolve(JSON.parse(stdout) as VerifyReport);
      },
    );
  });
}

/** The audit-exporter's export metrics, `<name>:<sink>` → value (summed over any other labels). */
async function exporterMetrics(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${AUDIT_EXPORTER_PORT}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^(closeout_audit_export_[a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    const sink = m && /(?:^|,)sink="([^"]*)"/.exec(m[2]!)?.[1];
    if (!m || !sink) continue;
    const key = `${m[1]}:${sink}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[3]));
  }
  return out;
}

/** Event ids in rsyslog's file since the run began, in messages whose HOSTNAME is the run's, with their counts. */
function syslogCounts(a: AuditRun): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(a.syslogFile)) return counts;
  const length = statSync(a.syslogFile).size - a.syslogOffset;
  const buffer = Buffer.alloc(Math.max(0, length));
  const fd = openSync(a.syslogFile, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, a.syslogOffset);
  } finally {
    closeSync(fd);
  }
  // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [closeout@32473 eventId="…" …] MSG
  for (const line of buffer.toString('utf8').split('\n')) {
    const fields = line.split(' ', 7);
    if (fields[2] !== a.syslogHostname) continue;
    const id = / eventId="([^"]+)"/.exec(line)?.[1];
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The case query (`GET /v1/audit?caseId=…`, every page): how many events the case's story has, first and last. */
async function caseStory(
  a: AuditRun,
  caseId: string,
): Promise<{ caseId: string; events: number; first: string; last: string }> {
  const actions: string[] = [];
  let after = 0;
  for (let page = 0; page < 100; page++) {
    const url = `http://127.0.0.1:${AUDIT_EXPORTER_PORT}/v1/audit?caseId=${encodeURIComponent(caseId)}&after=${after}&limit=500`;
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${a.apiToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`GET /v1/audit?caseId=…: HTTP ${res.status}`);
    const body = (await res.json()) as {
      records: { event: { action: string; service: string } }[];
      next: number | null;
    };
    actions.push(...body.records.map((r) => `${r.event.action} (${r.event.service})`));
    if (body.next === null) break;
    after = body.next;
  }
  return { caseId, events: actions.length, first: actions[0] ?? '-', last: actions.at(-1) ?? '-' };
}

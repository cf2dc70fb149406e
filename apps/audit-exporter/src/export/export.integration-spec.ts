/**
 * The SIEM export against the simulated Splunk HEC (tools/simulators/splunk-hec, in process) and the devstack's real
 * rsyslog over TLS (AUDIT_SYSLOG_* from `devstack env`), on a throwaway schema holding the store's `record` table.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { startSplunkHec, type SplunkHec } from '../../../../tools/simulators/splunk-hec';
import { exportConfigFrom, exportEnvSchema, type ExportConfig } from './export.config';
import { ExportRunner } from './export.runner';
import { freshExportSchema, type FreshExportSchema } from './test-support/fresh-export-schema';

const TOKEN = 'a1b2c3d4-0000-4000-8000-00000000e5f6';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function syslogEnv(): Record<string, string> {
  const { AUDIT_SYSLOG_HOST, AUDIT_SYSLOG_PORT, AUDIT_SYSLOG_CA_FILE } = process.env;
  if (!AUDIT_SYSLOG_HOST || !AUDIT_SYSLOG_PORT || !AUDIT_SYSLOG_CA_FILE) {
    throw new Error(
      'AUDIT_SYSLOG_* unset: eval "$(tools/devstack/devstack env)" (rsyslog is a devstack part)',
    );
  }
  return { AUDIT_SYSLOG_HOST, AUDIT_SYSLOG_PORT, AUDIT_SYSLOG_CA_FILE };
}

function config(env: Record<string, string>): ExportConfig {
  return exportConfigFrom(
    exportEnvSchema.parse({ AUDIT_EXPORT_POLL_MS: '50', AUDIT_EXPORT_MAX_BACKOFF_MS: '500', ...env }),
  );
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function position(store: FreshExportSchema, sink: string): Promise<number> {
  const rows = (await store.dataSource.query('SELECT last_seq FROM sink_position WHERE sink = $1', [
    sink,
  ])) as {
    last_seq: string;
  }[];
  return Number(rows[0]?.last_seq ?? 0);
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await register.getSingleMetric(name)?.get())?.values ?? [];
  return m
    .filter((v) =>
      Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val),
    )
    .reduce((sum, v) => sum + v.value, 0);
}

function syslogOutput(): string {
  const file = process.env['AUDIT_SYSLOG_OUTPUT_FILE'];
  if (!file) throw new Error('AUDIT_SYSLOG_OUTPUT_FILE unset: eval "$(tools/devstack/devstack env)"');
  return readFileSync(file, 'utf8');
}

describe('SIEM export (simulated HEC, devstack rsyslog over TLS)', () => {
  let store: FreshExportSchema;
  let hec: SplunkHec | undefined;
  let runner: ExportRunner | undefined;

  beforeEach(async () => {
    register.resetMetrics();
    store = await freshExportSchema();
  });

  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await hec?.close();
    hec = undefined;
    await store.drop();
  });

  it('HEC: one exporter per store and sink — a second replica stands by, another store on the database does not wait', async () => {
    const other = await freshExportSchema();
    const standby: ExportRunner[] = [];
    try {
      const ids = await store.append(50);
      const otherIds = await other.append(40);
      hec = await startSplunkHec({ tokens: [TOKEN] });
      const hecEnv = {
        AUDIT_HEC_ENABLED: 'true',
        AUDIT_HEC_URL: hec.url,
        AUDIT_HEC_TOKEN: TOKEN,
        AUDIT_HEC_ACK_POLL_MS: '50',
      };
      runner = new ExportRunner(store.dataSource, config(hecEnv), quiet);
      runner.start();
      await waitFor('the HEC position to reach 50', async () => (await position(store, 'hec')) === 50);
      // A second replica of the same store waits for the lock the first holds; the other store's exporter runs.
      standby.push(new ExportRunner(store.dataSource, config(hecEnv), quiet));
      standby.push(new ExportRunner(other.dataSource, config(hecEnv), quiet));
      standby.forEach((r) => r.start());
      await waitFor('the other store to be exported', async () => (await position(other, 'hec')) === 40);
      const counts = hec.counts();
      expect([...ids, ...otherIds].filter((id) => counts.get(id) !== 1)).toEqual([]);
    } finally {
      await Promise.all(standby.map((r) => r.stop()));
      await other.drop();
    }
  });

  it('HEC: every event indexed once acked; 503s, acks that stay false and lost acks give repeats with the same id, never loss', async () => {
    const ids = await store.append(600);
    hec = await startSplunkHec({
      tokens: [TOKEN],
      faults: [
        { mode: 'busy', count: 2, retryAfterSeconds: 0 },
        { mode: 'acks_stay_false', count: 1 },
        { mode: 'acks_lost', count: 1 },
      ],
    });
    runner = new ExportRunner(
      store.dataSource,
      config({
        AUDIT_HEC_ENABLED: 'true',
        AUDIT_HEC_URL: hec.url,
        AUDIT_HEC_TOKEN: TOKEN,
        AUDIT_HEC_BATCH_SIZE: '100',
        AUDIT_HEC_ACK_POLL_MS: '50',
        AUDIT_HEC_ACK_TIMEOUT_MS: '1000',
      }),
      quiet,
    );
    runner.start();
    await waitFor('the HEC position to reach 600', async () => (await position(store, 'hec')) === 600);

    const counts = hec.counts();
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    const stats = hec.stats();
    expect(stats.faultsInjected).toMatchObject({ busy: 2, acks_stay_false: 1, acks_lost: 1 });
    // the batch whose ack stayed false was indexed and sent again: 100 repeats, each the same event id twice
    expect(stats.repeats).toBe(100);
    expect([...counts.values()].filter((n) => n === 2)).toHaveLength(100);
    expect(await metric('closeout_audit_export_events_total', { sink: 'hec' })).toBe(600);
    expect(await metric('closeout_audit_export_resent_total', { sink: 'hec' })).toBe(200);
    expect(await metric('closeout_audit_export_failures_total', { sink: 'hec', reason: 'busy' })).toBe(2);
    const pending = (await store.dataSource.query('SELECT count(*)::int AS n FROM hec_pending_ack')) as {
      n: number;
    }[];
    expect(pending[0]!.n).toBe(0);
    // each event carries the OCSF JSON and its Closeout id
    const sample = hec.events()[0]!;
    expect(sample.fields['closeout_event_id']).toBe(sample.eventId);
    expect(sample.event).toMatchObject({ metadata: { uid: sample.eventId, version: '1.3.0' } });
  });

  it('HEC: a bad token turns the sink unhealthy and keeps its position; it resumes when the token is accepted again', async () => {
    await store.append(50);
    hec = await startSplunkHec({ tokens: [TOKEN], faults: [{ mode: 'bad_token' }] });
    runner = new ExportRunner(
      store.dataSource,
      config({
        AUDIT_HEC_ENABLED: 'true',
        AUDIT_HEC_URL: hec.url,
        AUDIT_HEC_TOKEN: TOKEN,
        AUDIT_HEC_ACK_POLL_MS: '50',
      }),
      quiet,
    );
    runner.start();
    await waitFor(
      'the sink to turn unhealthy',
      async () => (await metric('closeout_audit_export_sink_healthy', { sink: 'hec' })) === 0,
    );
    expect(await position(store, 'hec')).toBe(0);
    expect(hec.stats().eventsIndexed).toBe(0);
    expect(
      await metric('closeout_audit_export_failures_total', { sink: 'hec', reason: 'unauthorized' }),
    ).toBeGreaterThan(0);
    hec.clearFaults();
    await waitFor('the HEC position to reach 50', async () => (await position(store, 'hec')) === 50, 10_000);
    expect(await metric('closeout_audit_export_sink_healthy', { sink: 'hec' })).toBe(1);
  });

  it("syslog over TLS: every event arrives in rsyslog's file with its id, while a HEC that is down holds nothing back", async () => {
    const ids = await store.append(300);
    hec = await startSplunkHec({ tokens: [TOKEN] });
    await hec.goDown(120_000);
    runner = new ExportRunner(
      store.dataSource,
      config({
        ...syslogEnv(),
        AUDIT_SYSLOG_ENABLED: 'true',
        AUDIT_SYSLOG_CONFIRM_MS: '300',
        AUDIT_HEC_ENABLED: 'true',
        AUDIT_HEC_URL: hec.url,
        AUDIT_HEC_TOKEN: TOKEN,
      }),
      quiet,
    );
    runner.start();
    await waitFor('the syslog position to reach 300', async () => (await position(store, 'syslog')) === 300);
    const out = syslogOutput();
    expect(ids.filter((id) => !out.includes(`eventId="${id}"`))).toEqual([]);
    const line = out.split('\n').find((l) => l.includes(`eventId="${ids[0]}"`))!;
    expect(line).toMatch(/^<1\d\d>1 \S+ \S+ closeout-audit \d+ ocsf-\d{4} \[closeout@32473 eventId="/);
    expect(JSON.parse(line.slice(line.indexOf('{'))).metadata.uid).toBe(ids[0]);
    expect(await position(store, 'hec')).toBe(0);
    expect(
      await metric('closeout_audit_export_failures_total', { sink: 'hec', reason: 'unavailable' }),
    ).toBeGreaterThan(0);
    await runner.refreshLag();
    expect(await metric('closeout_audit_export_lag_seconds', { sink: 'syslog' })).toBe(0);
    expect(await metric('closeout_audit_export_pending_events', { sink: 'hec' })).toBe(300);
    expect(await metric('closeout_audit_export_lag_seconds', { sink: 'hec' })).toBeGreaterThan(0);
  });

  it('syslog over TLS: a receiver whose certificate does not chain to AUDIT_SYSLOG_CA_FILE is refused, nothing sent', async () => {
    const ids = await store.append(5);
    const dir = mkdtempSync(join(tmpdir(), 'wrong-ca-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'ca.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=Not the syslog CA',
        ],
        { stdio: 'ignore' },
      );
      runner = new ExportRunner(
        store.dataSource,
        config({ ...syslogEnv(), AUDIT_SYSLOG_ENABLED: 'true', AUDIT_SYSLOG_CA_FILE: join(dir, 'ca.pem') }),
        quiet,
      );
      runner.start();
      await waitFor(
        'the syslog sink to be refused',
        async () =>
          (await metric('closeout_audit_export_failures_total', { sink: 'syslog', reason: 'tls' })) > 0,
      );
      expect(await metric('closeout_audit_export_sink_healthy', { sink: 'syslog' })).toBe(0);
      expect(await position(store, 'syslog')).toBe(0);
      expect(syslogOutput()).not.toContain(ids[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

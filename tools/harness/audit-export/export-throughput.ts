/**
 * Export throughput per sink, no faults: EXPORT_BENCH_EVENTS (default 20000) stored records exported by one in-process
 * ExportRunner to the simulated HEC (acks on, ack delay 20 ms) and to the devstack's rsyslog over TLS; prints events/s
 * per sink (from start until the sink's position covers every record).
 *
 *   eval "$(tools/devstack/devstack env)" && node -r @swc-node/register tools/harness/audit-export/export-throughput.ts
 */
import { startSplunkHec } from '../../simulators/splunk-hec';
import { exportConfigFrom, exportEnvSchema } from '../../../apps/audit-exporter/src/export/export.config';
import { ExportRunner } from '../../../apps/audit-exporter/src/export/export.runner';
import { freshExportSchema } from '../../../apps/audit-exporter/src/export/test-support/fresh-export-schema';

const EVENTS = Number(process.env['EXPORT_BENCH_EVENTS'] ?? 20_000);
const TOKEN = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';

async function main(): Promise<void> {
  const store = await freshExportSchema('audit_export_bench');
  const hec = await startSplunkHec({ tokens: [TOKEN] });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  try {
    await store.append(EVENTS);
    const runner = new ExportRunner(
      store.dataSource,
      exportConfigFrom(
        exportEnvSchema.parse({
          ...process.env,
          AUDIT_HEC_ENABLED: 'true',
          AUDIT_HEC_URL: hec.url,
          AUDIT_HEC_TOKEN: TOKEN,
          AUDIT_HEC_ACK_POLL_MS: '50',
          AUDIT_SYSLOG_ENABLED: 'true',
          AUDIT_SYSLOG_CONFIRM_MS: '500',
          AUDIT_EXPORT_POLL_MS: '50',
        }),
      ),
      quiet,
    );
    const t0 = Date.now();
    const done: Record<string, number> = {};
    runner.start();
    while (Object.keys(done).length < 2 && Date.now() - t0 < 600_000) {
      const rows = (await store.dataSource.query('SELECT sink, last_seq FROM sink_position')) as {
        sink: string;
        last_seq: string;
      }[];
      for (const r of rows)
        if (Number(r.last_seq) === EVENTS && done[r.sink] === undefined) done[r.sink] = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 50));
    }
    await runner.stop();
    for (const sink of ['hec', 'syslog']) {
      const ms = done[sink];
      process.stdout.write(
        ms === undefined
          ? `${sink}: did not finish in 600 s\n`
          : `${sink}: ${EVENTS} events delivered in ${(ms / 1000).toFixed(1)} s = ${Math.round(EVENTS / (ms / 1000))} events/s\n`,
      );
    }
    process.stdout.write(`HEC index: ${hec.stats().eventsIndexed} events, ${hec.stats().repeats} repeats\n`);
  } finally {
    await hec.close();
    await store.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`export throughput failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);

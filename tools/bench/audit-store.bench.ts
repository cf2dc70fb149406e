/**
 * Audit store throughput: N audit events (default 50,000) stored and chained through the audit-exporter's writer, in
 * the batches its consumer hands it (500, one transaction each: dedupe by event id, numbering, SHA-256 chaining over
 * RFC 8785 canonical JSON, one INSERT, a signed checkpoint every 1,000 records), into a fresh schema of the devstack's
 * PostgreSQL. Then the same events again (all duplicates), and one verification of the whole store. Target: ≥ 5,000
 * events/s stored and chained.
 *
 *   eval "$(tools/devstack/devstack env)"
 *   node_modules/.bin/node -r @swc-node/register tools/bench/audit-store.bench.ts [N] [batch]
 */
import { AuditStoreWriter } from '../../apps/audit-exporter/src/store/audit-store.writer';
import { auditEvents, freshStore, testKeys } from '../../apps/audit-exporter/src/test-support/audit-store-it';
import { verifyInSnapshot } from '../../apps/audit-exporter/src/verify/store-verification.service';
import { percentiles } from './figures';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 50_000);
  const batch = Number(process.argv[3] ?? 500);
  const store = await freshStore('bench');
  const keys = testKeys();
  try {
    const writer = new AuditStoreWriter(store.db, {
      schema: store.schema,
      checkpointEveryRecords: 1000,
      checkpointEveryMs: 60_000,
      signer: keys.signer,
    });
    const events = auditEvents(n, Math.max(1, Math.floor(n / 12)));
    // Warm-up: connections, plans, JIT of the hashing path.
    await writer.append(auditEvents(batch, 10));
    const latencies: number[] = [];
    const started = performance.now();
    let checkpoints = 0;
    for (let i = 0; i < n; i += batch) {
      const t = performance.now();
      const result = await writer.append(events.slice(i, i + batch));
      latencies.push(performance.now() - t);
      if (result.checkpoint) checkpoints += 1;
    }
    const seconds = (performance.now() - started) / 1000;
    const again = performance.now();
    let duplicates = 0;
    for (let i = 0; i < n; i += batch)
      duplicates += (await writer.append(events.slice(i, i + batch))).duplicates;
    const dupSeconds = (performance.now() - again) / 1000;
    await writer.checkpoint(true);
    const v = performance.now();
    const report = await verifyInSnapshot(store.db, { schema: store.schema, publicKey: keys.publicKey });
    const verifySeconds = (performance.now() - v) / 1000;
    const p = percentiles(latencies);
    console.log(
      `audit store, ${n} events in batches of ${batch} (one transaction each), schema ${store.schema}`,
    );
    console.log(
      `  stored and chained: ${Math.round(n / seconds)} events/s (${seconds.toFixed(2)} s; ${checkpoints} checkpoints signed on the way); ` +
        `batch p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms`,
    );
    console.log(
      `  redelivered (all already stored): ${Math.round(n / dupSeconds)} events/s, ${duplicates} duplicates, 0 stored`,
    );
    console.log(
      `  verified: ${report.ok ? 'ok' : 'BROKEN'}, ${report.records} records, ${report.checkpoints} checkpoints in ` +
        `${verifySeconds.toFixed(2)} s (${Math.round(report.records / verifySeconds)} records/s)`,
    );
    console.log(`  target ≥ 5,000 events/s stored and chained: ${n / seconds >= 5000 ? 'met' : 'NOT met'}`);
    if (!report.ok || duplicates !== n) process.exitCode = 1;
  } finally {
    await store.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

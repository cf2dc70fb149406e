/**
 * The tamper figures: builds a store of N events (default 10,000) through the writer, then for each of alter, delete,
 * insert, reorder and forge-checkpoint makes T (default 100) random single tamperings, each verified and undone, and
 * prints how many were detected, at the right position, and named for what they were.
 *
 *   eval "$(tools/devstack/devstack env)"
 *   node_modules/.bin/node -r @swc-node/register apps/audit-exporter/src/test-support/tamper-figures.ts [N] [T] [seed]
 */
import { AuditStoreWriter } from '../store/audit-store.writer';
import { verifyInSnapshot } from '../verify/store-verification.service';
import { auditEvents, freshStore, testKeys } from './audit-store-it';
import { tamperTrials } from './tamper';

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 10_000);
  const trials = Number(process.argv[3] ?? 100);
  const seed = Number(process.argv[4] ?? Date.now() % 1_000_000);
  const checkpointEvery = 500;
  const store = await freshStore('figures');
  const keys = testKeys();
  try {
    const writer = new AuditStoreWriter(store.db, {
      schema: store.schema,
      checkpointEveryRecords: checkpointEvery,
      checkpointEveryMs: 3_600_000,
      signer: keys.signer,
    });
    const all = auditEvents(events, Math.max(1, Math.floor(events / 10)));
    const started = performance.now();
    for (let i = 0; i < all.length; i += 500) await writer.append(all.slice(i, i + 500));
    await writer.checkpoint(true);
    const stored = performance.now() - started;
    const t0 = performance.now();
    const clean = await verifyInSnapshot(store.db, { schema: store.schema, publicKey: keys.publicKey });
    console.log(
      `store: ${events} events in ${Math.round(stored)} ms (${Math.round(events / (stored / 1000))}/s), ` +
        `${clean.checkpoints} checkpoints; untouched store verified ${clean.ok} in ${Math.round(performance.now() - t0)} ms`,
    );
    const shape = { records: clean.records, checkpoints: clean.checkpoints };
    console.log(
      `seed ${seed}, ${trials} tamperings per kind, each in a rolled-back transaction with triggers off`,
    );
    console.log('kind               detected  right position  rightly named  mean ms  variants');
    for (const f of await tamperTrials(store.db, store.schema, keys.publicKey, shape, trials, seed)) {
      const pct = (n: number) => `${n}/${f.trials} (${((100 * n) / f.trials).toFixed(0)} %)`;
      console.log(
        `${f.kind.padEnd(18)} ${pct(f.detected).padEnd(9)} ${pct(f.rightPosition).padEnd(15)} ${pct(f.rightlyNamed).padEnd(14)} ` +
          `${f.meanVerifyMs.toFixed(0).padStart(7)}  ${Object.entries(f.variants)
            .map(([v, n]) => `${v} ×${n}`)
            .join('; ')}`,
      );
      if (f.firstMiss) console.log(`  first miss: ${JSON.stringify(f.firstMiss)}`);
    }
  } finally {
    await store.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

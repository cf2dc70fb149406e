// Several writers on one store at once, as replicas of audit-exporter (or several consumers in one) are: the advisory
// lock makes them take turns, so the chain never forks and no event is stored twice, whatever the interleaving.
import { auditEvents, freshStore, testKeys, type TestStore } from '../test-support/audit-store-it';
import { verifyInSnapshot } from '../verify/store-verification.service';
import { AuditStoreWriter } from './audit-store.writer';

describe('AuditStoreWriter, several at once on one store (real PostgreSQL)', () => {
  let store: TestStore;
  const keys = testKeys();

  beforeAll(async () => {
    store = await freshStore('writers');
  });
  afterAll(async () => {
    await store?.drop();
  });

  it('stores every event once, in one unbroken chain, each sealed by a verified checkpoint', async () => {
    const events = auditEvents(600, 60);
    const writers = Array.from(
      { length: 4 },
      () =>
        new AuditStoreWriter(store.db, {
          schema: store.schema,
          checkpointEveryRecords: 50,
          checkpointEveryMs: 3_600_000,
          signer: keys.signer,
        }),
    );
    // Each writer is handed every event (a redelivery to each), in batches of 25 starting at its own offset.
    const results = await Promise.all(
      writers.map(async (writer, w) => {
        let stored = 0;
        for (let b = 0; b < events.length / 25; b += 1) {
          const start = ((b + w * 6) % (events.length / 25)) * 25;
          stored += (await writer.append(events.slice(start, start + 25))).stored;
        }
        return stored;
      }),
    );
    await writers[0]!.checkpoint(true);

    expect(results.reduce((a, b) => a + b, 0)).toBe(600);
    const [counts] = (await store.db.query(
      `SELECT count(*)::int AS records, count(DISTINCT event_id)::int AS events FROM "${store.schema}".record`,
    )) as Array<{ records: number; events: number }>;
    expect(counts).toEqual({ records: 600, events: 600 });
    const report = await verifyInSnapshot(store.db, { schema: store.schema, publicKey: keys.publicKey });
    expect(report).toMatchObject({ ok: true, records: 600, lastRecordSeq: 600, unsealedRecords: 0 });
    expect(report.checkpoints).toBeGreaterThanOrEqual(600 / 50);
  });
});

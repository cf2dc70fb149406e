import { tamperTrials, TAMPER_KINDS } from '../test-support/tamper';
import { auditEvents, freshStore, testKeys, type TestStore } from '../test-support/audit-store-it';
import { AuditStoreWriter } from '../store/audit-store.writer';
import { verifyInSnapshot } from './store-verification.service';

/** The tamper spec: ≥ 10,000 stored events, 100 random single tamperings of each kind, each found where it was done. */
describe('audit store verification against a superuser attacker', () => {
  const EVENTS = 10_000;
  const TRIALS = 100;
  let store: TestStore;
  const keys = testKeys();

  beforeAll(async () => {
    store = await freshStore('tamper');
    const writer = new AuditStoreWriter(store.db, {
      schema: store.schema,
      checkpointEveryRecords: 500,
      checkpointEveryMs: 3_600_000,
      signer: keys.signer,
    });
    const events = auditEvents(EVENTS, 1_000);
    for (let i = 0; i < events.length; i += 500) await writer.append(events.slice(i, i + 500));
    await writer.checkpoint(true);
  }, 120_000);

  afterAll(async () => {
    await store?.drop();
  });

  it('verifies the untouched store: every record, every checkpoint', async () => {
    const report = await verifyInSnapshot(store.db, { schema: store.schema, publicKey: keys.publicKey });
    expect(report).toMatchObject({ ok: true, records: EVENTS, lastRecordSeq: EVENTS, unsealedRecords: 0 });
    expect(report.checkpoints).toBe(EVENTS / 500);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of records and checkpoints, even to the superuser', async () => {
    for (const table of ['record', 'checkpoint'])
      for (const sql of [
        `UPDATE "${store.schema}".${table} SET seq = seq WHERE seq = 1`,
        `DELETE FROM "${store.schema}".${table} WHERE seq = 1`,
        `TRUNCATE "${store.schema}".${table}`,
      ])
        await expect(store.db.query(sql)).rejects.toThrow(/append-only/);
  });

  it(`finds each of ${TRIALS} alterations, deletions, insertions, reorderings and forged checkpoints where it was done`, async () => {
    const figures = await tamperTrials(
      store.db,
      store.schema,
      keys.publicKey,
      { records: EVENTS, checkpoints: EVENTS / 500 },
      TRIALS,
      20_260_601,
    );
    expect(figures.map((f) => f.kind)).toEqual([...TAMPER_KINDS]);
    for (const f of figures)
      expect({
        kind: f.kind,
        detected: f.detected,
        rightPosition: f.rightPosition,
        named: f.rightlyNamed,
        miss: f.firstMiss,
      }).toEqual({
        kind: f.kind,
        detected: TRIALS,
        rightPosition: TRIALS,
        named: TRIALS,
        miss: undefined,
      });
    // The store is as it was: every tampering was undone.
    expect((await verifyInSnapshot(store.db, { schema: store.schema, publicKey: keys.publicKey })).ok).toBe(
      true,
    );
  }, 600_000);
});

import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { Topics } from '@closeout/contracts';
import { MessageTooLargeError } from '@closeout/kafka';
import { dataSourceOptions, migrate, type DatabaseOptions } from '@closeout/platform';
import { insertOutboxMessages, OutboxRelay, type OutboxMessage } from '@closeout/outbox';
import { orchestratorMigrations } from './orchestrator.migrations';

const audit = (n: number): OutboxMessage => ({
  topic: Topics.auditEvent,
  key: { correlationId: `case-${n}` },
  headers: { correlationId: `case-${n}` },
  value: {
    eventId: `evt-${n}`,
    occurredAt: 1_735_689_600_000 + n,
    correlationId: `case-${n}`,
    causationId: null,
    actor: { type: 'SERVICE', id: 'orchestrator' },
    action: 'case.opened',
    outcome: 'SUCCESS',
    service: 'orchestrator',
    host: 'test',
    reason: 'integration test',
    caseId: `case-${n}`,
    versions: {},
    references: {},
  },
});

/** The orchestrator's outbox is published by the shared relay, so it sets aside what can never be published too. */
describe('orchestrator outbox: set-aside columns (real PostgreSQL)', () => {
  const schema = `orch_outbox_${randomBytes(4).toString('hex')}`;
  const options: DatabaseOptions = {
    url: process.env['DATABASE_URL']!,
    schema,
    entities: [],
    migrations: orchestratorMigrations,
    poolSize: 2,
  };
  let db: DataSource;

  beforeAll(async () => {
    await migrate(options);
    db = await new DataSource(dataSourceOptions(options)).initialize();
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  it('sets aside a message the publisher refuses for good, publishes the others, and the migration reverts', async () => {
    await db.transaction((manager) =>
      insertOutboxMessages(manager, 'outbox', [audit(0), audit(1), audit(2)]),
    );
    const published: string[] = [];
    const relay = new OutboxRelay({
      dataSource: db,
      schema,
      registry: new Registry(),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      publish: async (batch) => {
        if (batch.some((m) => m.value.eventId === 'evt-1'))
          throw new MessageTooLargeError(Topics.auditEvent, 2_000_000, 1_000_000);
        published.push(...batch.map((m) => m.value.eventId));
      },
    });

    const result = await relay.relayBatch();

    expect(published).toEqual(['evt-0', 'evt-2']);
    expect(result.setAside.map((m) => m.failure.class)).toEqual(['too-large']);
    expect(
      await db.query(
        `SELECT value->>'eventId' AS event, set_aside_reason FROM outbox WHERE set_aside_at IS NOT NULL`,
      ),
    ).toEqual([
      {
        event: 'evt-1',
        set_aside_reason:
          'too-large: a message for audit.event.v1 is 2000000 bytes encoded, over the 1000000-byte limit',
      },
    ]);

    // Reverted newest first, down to the set-aside migration (later migrations come off before it).
    for (;;) {
      const [last] = (await db.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`)) as { name: string }[];
      await db.undoLastMigration({ transaction: 'each' });
      if (last?.name.startsWith('OutboxSetAside')) break;
      if (!last) throw new Error('the set-aside migration was never run');
    }
    const columns: { column_name: string }[] = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'outbox'`,
      [schema],
    );
    expect(columns.map((c) => c.column_name)).not.toContain('set_aside_at');
  });
});

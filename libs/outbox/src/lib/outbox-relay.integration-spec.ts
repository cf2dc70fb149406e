import { Registry } from 'prom-client';
import { freshOutboxSchema, type FreshOutboxSchema } from '../test-support/fresh-outbox-schema';
import { auditMessage, waitUntil } from '../test-support/outbox-test-messages';
import type { OutboxMessage } from './outbox-message';
import { OutboxRelay, type RelayLogger } from './outbox-relay';

const quiet: RelayLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

const audit = (n: number): OutboxMessage => auditMessage(n, { keys: 7 });

const eventIds = (messages: OutboxMessage[]) => messages.map((m) => (m.value as { eventId: string }).eventId);

const until = (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> =>
  waitUntil(condition, timeoutMs, 10);

describe('OutboxRelay (real PostgreSQL)', () => {
  let db: FreshOutboxSchema;
  const relays: OutboxRelay[] = [];

  const relay = (
    options: Partial<ConstructorParameters<typeof OutboxRelay>[0]> & {
      publish: (m: OutboxMessage[]) => Promise<void>;
    },
  ) => {
    const r = new OutboxRelay({
      dataSource: db.dataSource,
      registry: new Registry(),
      logger: quiet,
      ...options,
    });
    relays.push(r);
    return r;
  };

  beforeEach(async () => {
    db = await freshOutboxSchema();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await db.drop();
  });

  const unpublished = async (): Promise<number> => {
    const [r] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM "${db.schema}".outbox WHERE published_at IS NULL`,
    );
    return r.n;
  };

  it('publishes in id order, batch by batch, and marks what it published', async () => {
    for (let tx = 0; tx < 5; tx += 1) {
      await db.enqueue(Array.from({ length: 50 }, (_, i) => audit(tx * 50 + i)));
    }
    const published: OutboxMessage[] = [];
    const batches: number[] = [];
    const r = relay({
      batchSize: 100,
      pollIntervalMs: 50,
      publish: async (messages) => {
        batches.push(messages.length);
        published.push(...messages);
      },
    });

    await r.start();
    await until(() => published.length === 250);
    await r.stop();

    expect(eventIds(published)).toEqual(Array.from({ length: 250 }, (_, i) => `evt-${i}`));
    expect(batches).toEqual([100, 100, 50]);
    expect(published[0]).toEqual({
      ...audit(0),
      value: { ...audit(0).value, occurredAt: expect.any(Number) },
    });
    expect(await unpublished()).toBe(0);
    expect(await r.lag()).toEqual({ unpublished: 0, oldestAgeSeconds: 0, setAside: 0 });
  });

  it('with lingerMs, messages committed moments apart after an idle wait go out in one batch', async () => {
    const batches: string[][] = [];
    const registry = new Registry();
    const r = relay({
      pollIntervalMs: 60_000, // only the notifications wake it
      lingerMs: 400,
      registry,
      publish: async (messages) => {
        batches.push(eventIds(messages));
      },
    });
    await r.start();
    // Its first turn (at start, with no wait before it) has found the outbox empty and set its gauges: from here on
    // it waits idle, so the next message starts a linger (a slow first turn would otherwise take evt-1 alone).
    await until(async () =>
      (await registry.getSingleMetricAsString('closeout_outbox_unpublished_messages')).includes(
        `schema="${db.schema}"`,
      ),
    );
    await db.enqueue([audit(1)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await db.enqueue([audit(2)]);
    await until(() => batches.flat().length === 2);
    expect(batches).toEqual([['evt-1', 'evt-2']]);
    // The relay deletes a batch's rows once its publish has returned: a moment after `publish` saw them.
    await until(async () => (await unpublished()) === 0);
    expect(await unpublished()).toBe(0);
    await db.enqueue([audit(3)]);
    await until(() => batches.flat().length === 3);
    expect(batches).toEqual([['evt-1', 'evt-2'], ['evt-3']]);
  });

  it('while listening, an idle relay polls at listeningPollIntervalMs; without LISTEN at pollIntervalMs', async () => {
    const published: OutboxMessage[] = [];
    // Turns taken in a second of idleness, one relay at a time (two would find the outbox held by each other).
    const idleTurns = async (r: OutboxRelay): Promise<number> => {
      let turns = 0;
      const turn = r.relayBatch.bind(r);
      r.relayBatch = () => {
        turns += 1;
        return turn();
      };
      await r.start();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return turns;
    };
    const polling = relay({ pollIntervalMs: 50, listen: false, publish: async () => undefined });
    expect(await idleTurns(polling)).toBeGreaterThanOrEqual(8);
    await polling.stop();
    const listening = relay({
      pollIntervalMs: 50,
      listeningPollIntervalMs: 60_000,
      publish: async (messages) => void published.push(...messages),
    });
    // The first turn comes at start; then it waits for a notification or the backstop.
    expect(await idleTurns(listening)).toBe(1);
    // A commit still wakes it at once.
    await db.enqueue([audit(1)]);
    await until(() => published.length === 1, 3_000);
    expect(eventIds(published)).toEqual(['evt-1']);
  });

  it('listens again on a new connection when its listening connection is lost, and misses nothing meanwhile', async () => {
    const application = `listener-${db.schema}`;
    const relayDataSource = await db.open({ applicationName: application });
    const published: OutboxMessage[] = [];
    const warnings: string[] = [];
    const r = relay({
      dataSource: relayDataSource,
      pollIntervalMs: 60_000,
      listeningPollIntervalMs: 60_000,
      logger: { ...quiet, warn: (_o, msg) => void warnings.push(msg) },
      publish: async (messages) => void published.push(...messages),
    });
    try {
      await r.start();
      const listenerPid = async (): Promise<number | undefined> => {
        const rows: { pid: number }[] = await db.dataSource.query(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'`,
          [application],
        );
        return rows[0]?.pid;
      };
      const first = await listenerPid();
      expect(first).toBeDefined();
      // An administrator (or a failover) ends the listening session; a message committed right after notifies no one.
      await db.dataSource.query('SELECT pg_terminate_backend($1)', [first]);
      await db.enqueue([audit(1)]);
      // Both polls are a minute away: only the lost connection's turn and the one after listening again find it.
      await until(() => published.length === 1, 5_000);
      await until(async () => ((await listenerPid()) ?? first) !== first, 5_000);
      expect(warnings).toContain('outbox listener connection failed; polling until listening again');
      // The new connection's notifications wake the relay as before.
      await db.enqueue([audit(2)]);
      await until(() => published.length === 2, 5_000);
      expect(eventIds(published)).toEqual(['evt-1', 'evt-2']);
    } finally {
      await r.stop();
      await relayDataSource.destroy();
    }
  });

  it('polls at pollIntervalMs after finding the outbox held by another relay, which may stop before it is done', async () => {
    const published: OutboxMessage[] = [];
    const r = relay({
      pollIntervalMs: 100,
      listeningPollIntervalMs: 60_000,
      publish: async (messages) => void published.push(...messages),
    });
    await r.start();
    // Another relay's session holds the outbox while a message commits (its notification finds it held); that
    // relay then goes away without publishing it, and nothing notifies again.
    const other = await db.dataSource.createQueryRunner();
    try {
      await other.query('SELECT pg_advisory_lock(hashtext($1))', [`${db.schema}.outbox`]);
      await db.enqueue([audit(1)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(published).toEqual([]);
      await other.query('SELECT pg_advisory_unlock(hashtext($1))', [`${db.schema}.outbox`]);
    } finally {
      await other.release();
    }
    await until(() => published.length === 1, 2_000);
    expect(eventIds(published)).toEqual(['evt-1']);
  });

  it('refuses a negative lingerMs, naming it', () => {
    expect(() => relay({ lingerMs: -1, publish: async () => undefined })).toThrow(/lingerMs must be >= 0/);
  });

  it('publishes again after dying between the publish and the mark: at least once, never lost', async () => {
    await db.enqueue([audit(1), audit(2), audit(3)]);
    const application = `doomed-relay-${db.schema}`;
    const doomedDataSource = await db.open({ applicationName: application });
    const seen: OutboxMessage[] = [];
    // The broker acknowledges, then the relay's database session dies before it can mark the batch.
    const doomed = relay({
      dataSource: doomedDataSource,
      listen: false,
      publish: async (messages) => {
        seen.push(...messages);
        await db.dataSource.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`,
          [application],
        );
      },
    });

    await expect(doomed.publishBatch()).rejects.toThrow();
    expect(await unpublished()).toBe(3);

    const successor = relay({ publish: async (messages) => void seen.push(...messages) });
    expect(await successor.publishBatch()).toBe(3);

    expect(eventIds(seen)).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-1', 'evt-2', 'evt-3']);
    expect(await unpublished()).toBe(0);
  });

  it('keeps a batch whose publish failed, and sends it once the broker is back', async () => {
    await db.enqueue([audit(1), audit(2)]);
    let brokerUp = false;
    const delivered: OutboxMessage[] = [];
    const r = relay({
      pollIntervalMs: 20,
      maxBackoffMs: 40,
      publish: async (messages) => {
        if (!brokerUp) throw new Error('broker unavailable');
        delivered.push(...messages);
      },
    });

    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await unpublished()).toBe(2);
    brokerUp = true;
    await until(() => delivered.length === 2);
    expect(eventIds(delivered)).toEqual(['evt-1', 'evt-2']);
  });

  it('is woken by NOTIFY when a transaction commits, long before its poll interval', async () => {
    const delivered: OutboxMessage[] = [];
    const r = relay({
      pollIntervalMs: 60_000,
      publish: async (messages) => void delivered.push(...messages),
    });
    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first (empty) poll is done; now it sleeps

    const committedAt = Date.now();
    await db.enqueue([audit(7)]);
    await until(() => delivered.length === 1, 5_000);

    expect(Date.now() - committedAt).toBeLessThan(5_000);
    expect(eventIds(delivered)).toEqual(['evt-7']);
  });

  it('lets only one relay publish at a time, so two relays never interleave batches', async () => {
    await db.enqueue(Array.from({ length: 300 }, (_, i) => audit(i)));
    const delivered: OutboxMessage[] = [];
    // Brokers answer in uneven times; without the single-publisher lock a later batch would overtake an earlier one.
    const slowPublish = async (messages: OutboxMessage[]) => {
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 30));
      delivered.push(...messages);
    };
    const a = relay({ batchSize: 50, pollIntervalMs: 10, publish: slowPublish });
    const b = relay({ batchSize: 50, pollIntervalMs: 10, publish: slowPublish });

    await Promise.all([a.start(), b.start()]);
    await until(() => delivered.length === 300);

    expect(eventIds(delivered)).toEqual(Array.from({ length: 300 }, (_, i) => `evt-${i}`));
  });

  it('drains what is left when stopped, and reports the lag it leaves behind', async () => {
    await db.enqueue(Array.from({ length: 30 }, (_, i) => audit(i)));
    const delivered: OutboxMessage[] = [];
    const registry = new Registry();
    const r = relay({
      batchSize: 10,
      pollIntervalMs: 60_000,
      listen: false,
      registry,
      publish: async (m) => void delivered.push(...m),
    });
    expect(await r.lag()).toMatchObject({ unpublished: 30 });
    expect(await registry.getSingleMetricAsString('closeout_outbox_unpublished_messages')).toContain(
      `schema="${db.schema}"} 30`,
    );

    await r.start();
    await r.stop();

    expect(delivered).toHaveLength(30);
    expect(await r.lag()).toEqual({ unpublished: 0, oldestAgeSeconds: 0, setAside: 0 });
  });

  it('deletes published messages past their retention, oldest first and a batch at a time, never an unpublished one', async () => {
    await db.enqueue(Array.from({ length: 12 }, (_, i) => audit(i)));
    const r = relay({ publish: async () => undefined, listen: false, batchSize: 8 });
    expect(await r.publishBatch()).toBe(8);
    const outbox = `"${db.schema}".outbox`;
    // Six of the published eight were published two hours ago, two just now; four were never published (one of
    // them created two days ago: age alone never deletes a message the relay still owes Kafka).
    await db.dataSource.query(
      `UPDATE ${outbox} SET published_at = now() - interval '2 hours'
       WHERE id IN (SELECT id FROM ${outbox} WHERE published_at IS NOT NULL ORDER BY id LIMIT 6)`,
    );
    await db.dataSource.query(
      `UPDATE ${outbox} SET created_at = now() - interval '2 days'
       WHERE id = (SELECT min(id) FROM ${outbox} WHERE published_at IS NULL)`,
    );
    const ids = async (): Promise<string[]> =>
      (
        (await db.dataSource.query(`SELECT value->>'eventId' AS e FROM ${outbox} ORDER BY id`)) as {
          e: string;
        }[]
      ).map((row) => row.e);

    expect(await r.purgePublished(3_600_000, 4)).toBe(4);
    expect(await ids()).toEqual(['evt-4', 'evt-5', 'evt-6', 'evt-7', 'evt-8', 'evt-9', 'evt-10', 'evt-11']);
    expect(await r.purgePublished(3_600_000, 4)).toBe(2);
    expect(await r.purgePublished(3_600_000, 4)).toBe(0);
    expect(await ids()).toEqual(['evt-6', 'evt-7', 'evt-8', 'evt-9', 'evt-10', 'evt-11']);
    expect(await unpublished()).toBe(4);
  });

  it('with no retention, deletes a batch in the transaction that publishes it and keeps what a failed publish left', async () => {
    await db.enqueue(Array.from({ length: 6 }, (_, i) => audit(i)));
    const published: OutboxMessage[] = [];
    let brokerUp = true;
    const r = relay({
      listen: false,
      retentionMs: 0,
      batchSize: 4,
      publish: async (m) => {
        if (!brokerUp) throw new Error('broker unreachable');
        published.push(...m);
      },
    });
    const left = async (): Promise<string[]> =>
      (
        (await db.dataSource.query(
          `SELECT value->>'eventId' AS e, published_at FROM "${db.schema}".outbox ORDER BY id`,
        )) as { e: string; published_at: Date | null }[]
      ).map((row) => `${row.e}${row.published_at ? ' published' : ''}`);

    expect(await r.publishBatch()).toBe(4);
    expect(await left()).toEqual(['evt-4', 'evt-5']);
    brokerUp = false;
    await expect(r.publishBatch()).rejects.toThrow('broker unreachable');
    expect(await left()).toEqual(['evt-4', 'evt-5']);
    brokerUp = true;
    expect(await r.publishBatch()).toBe(2);
    expect(await left()).toEqual([]);
    expect(eventIds(published)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5']);
  });

  it('purges on its own while running, with its retention, and counts what it deleted', async () => {
    await db.enqueue(Array.from({ length: 5 }, (_, i) => audit(i)));
    const registry = new Registry();
    const published: OutboxMessage[] = [];
    const r = relay({
      publish: async (m) => void published.push(...m),
      pollIntervalMs: 20,
      retentionMs: 200,
      purgeIntervalMs: 50,
      purgeBatchSize: 2,
      registry,
    });
    await r.start();
    await until(async () => {
      const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".outbox`);
      return row.n === 0;
    });
    await r.stop();
    expect(eventIds(published)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4']);
    expect(await registry.getSingleMetricAsString('closeout_outbox_purged_total')).toContain(
      `schema="${db.schema}"} 5`,
    );
  });
});

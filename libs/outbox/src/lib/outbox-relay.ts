import type { PoolClient, Notification } from 'pg';
import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { publishFailureOf, type PublishFailure } from '@closeout/kafka';
import { createLogger } from '@closeout/telemetry';
import type { OutboxHeaders, OutboxMessage } from './outbox-message';
import { outboxTables, type OutboxTables } from './outbox-tables';
import { OutboxError } from './outbox.errors';

/** Sends a batch to Kafka, in order, resolving only once every message is acknowledged (e.g. EventPublisher.publishMany). */
export type OutboxPublisher = (messages: OutboxMessage[]) => Promise<void>;

/** The few logger methods the relay uses; a pino logger fits. */
export interface RelayLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  publish: OutboxPublisher;
  /** Defaults to the data source's schema. */
  schema?: string;
  /** Messages per publish (default 100). */
  batchSize?: number;
  /**
   * Bytes of stored JSON (key, value, headers) loaded per batch (default 4 MiB): the relay's memory stays bounded
   * however large messages are. A batch always takes at least its first message.
   */
  maxBatchBytes?: number;
  /**
   * A message whose stored JSON is larger than this (default 16 MiB) is set aside as too large without ever being
   * loaded: far above what Kafka takes (the publisher refuses ~1 MB encoded), and loading it could exhaust memory.
   */
  maxMessageBytes?: number;
  /**
   * Says whether a publish failure is the messages' own, for good (they are set aside), or transient (the batch
   * stays and is retried after a backoff). Default: the Kafka lib's publishFailureOf.
   */
  classifyFailure?: (error: unknown) => PublishFailure;
  /**
   * Poll interval when idle and not listening (default 1000 ms): LISTEN is off, its connection was lost (the relay
   * listens again on its next turn), or another relay held the outbox on the last turn (it may stop before it is
   * done). Also the first step of the backoff after a failed publish.
   */
  pollIntervalMs?: number;
  /**
   * Poll interval when idle while listening (default 5000 ms, never below pollIntervalMs). Every commit that writes
   * to the outbox notifies, and a notification wakes the relay at once: this poll is only a backstop, and the relay's
   * idle cost (a transaction of four statements per poll) is paid at this rate instead.
   */
  listeningPollIntervalMs?: number;
  /**
   * After waiting idle, how long the relay lets messages gather before it takes the next batch (default 0: at once).
   * A busy writer commits many small transactions, each waking the relay: a few milliseconds here turn many small
   * batches (each a transaction of several statements) into fewer larger ones, for that much latency. Never applied
   * while messages are known to wait (a full batch): those go out without a pause.
   */
  lingerMs?: number;
  /** LISTEN for the outbox trigger's notifications (default true). Polling alone still delivers everything. */
  listen?: boolean;
  /** Backoff after a failed publish doubles from pollIntervalMs up to this (default 30 000 ms). */
  maxBackoffMs?: number;
  /** How long stop() keeps publishing what is left (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** How often the lag gauges are refreshed while running (default 5 000 ms). */
  lagRefreshMs?: number;
  /**
   * How long a published message is kept before the relay deletes it (default 24 h). The outbox is a hand-off,
   * not the record: the audit trail, the ledger and the case are. 0 deletes each batch in the transaction that
   * publishes it: a kept row is rewritten to mark it published, a second copy of every message in the WAL.
   */
  retentionMs?: number;
  /** How often the relay deletes published messages past retention while running (default 60 000 ms). */
  purgeIntervalMs?: number;
  /** Messages deleted per statement, so a purge never holds many row locks at once (default 5 000). */
  purgeBatchSize?: number;
  /** Where the gauges and counters are registered (default: prom-client's global registry). */
  registry?: Registry;
  logger?: RelayLogger;
}

export interface OutboxLag {
  /** Messages waiting to be published (set-aside messages are not waiting). */
  unpublished: number;
  oldestAgeSeconds: number;
  /** Messages set aside, waiting for an operator. */
  setAside: number;
}

/** A message the relay gave up on, and why. */
export interface SetAsideMessage {
  id: string;
  topic: string;
  failure: PublishFailure;
}

/** What one turn of the relay did. */
export interface RelayBatchResult {
  published: number;
  setAside: SetAsideMessage[];
  /** More messages may be waiting right now (the batch was full or cut by its byte bound): no pause before the next. */
  moreWaiting: boolean;
}

/** A loaded row as the message to publish, its stored trace context back among its headers. */
function messageOfRow(r: LoadedRow): OutboxMessage {
  const headers: OutboxHeaders = {
    ...r.headers,
    ...(r.traceparent ? { traceparent: r.traceparent } : {}),
    ...(r.tracestate ? { tracestate: r.tracestate } : {}),
  };
  return { topic: r.topic, key: r.key, value: r.value, headers } as OutboxMessage;
}

/** A candidate as the relay's one statement returns it: its size, and its content when the plan loads it. */
interface TakenRow extends Omit<LoadedRow, 'key'> {
  bytes: number | string;
  /** Not over maxMessageBytes. */
  loadable: boolean;
  /** Null when the plan does not load it (over a bound, or past the batch's byte bound). */
  key: unknown;
}

interface LoadedRow {
  id: string;
  topic: string;
  key: unknown;
  value: unknown;
  headers: OutboxHeaders;
  traceparent: string | null;
  tracestate: string | null;
}

/**
 * Publishes the outbox to Kafka: oldest first, a batch at a time, marking a batch published in the transaction
 * that locked it and only after the publisher acknowledged it. A crash between the two publishes the batch again
 * on the next run — at-least-once; consumers dedupe by eventId.
 *
 * Only one relay publishes a schema's outbox at a time (a transaction-scoped advisory lock): Kafka keeps per-key
 * order only if batches leave in order, and two relays taking disjoint batches with SKIP LOCKED would interleave
 * them. Standby relays find the lock taken and wait for the next poll.
 *
 * A message that can never be published (too large for the broker, not encodable against its topic's schema: any
 * failure the Kafka lib calls permanent for its messages) must not hold back the ones behind it. When a batch fails
 * that way the relay halves it until it finds the culprits, publishes the rest in id order, and sets the culprits
 * aside (`set_aside_at`, `set_aside_reason`), counted, logged without payload, alerted on. The price: a set-aside
 * message is skipped, so a later message with the same key reaches Kafka before it (if ever): an operator re-drives
 * it once the cause is fixed, or discards it (OutboxSetAside, outbox-set-aside.cli.ts). Transient failures (broker
 * unreachable, no leader) leave the batch where it is and the relay backs off, as before.
 */
export class OutboxRelay {
  private readonly tables: OutboxTables;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private readonly maxMessageBytes: number;
  private readonly classifyFailure: (error: unknown) => PublishFailure;
  private readonly pollIntervalMs: number;
  private readonly listeningPollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly lingerMs: number;
  private readonly drainTimeoutMs: number;
  private readonly lagRefreshMs: number;
  private readonly retentionMs: number;
  private readonly purgeIntervalMs: number;
  private readonly purgeBatchSize: number;
  private purgeDueAt = 0;
  private readonly metrics: RelayMetrics;
  private readonly logger: RelayLogger;

  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** A notification arrived while no one was waiting: the next idle wait returns at once instead of losing it. */
  private notified = false;
  /** The last turn found the outbox held by another relay (which may stop before it is done). */
  private heldElsewhere = false;
  private listener: {
    runner: QueryRunner;
    client: PoolClient;
    onNotify: (n: Notification) => void;
    onError: (e: Error) => void;
    onEnd: () => void;
  } | null = null;
  /** The listening connection failed or closed: notifications no longer arrive until the relay listens again. */
  private listenLost = false;
  private lagRefreshedAt = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    const schema = options.schema ?? (options.dataSource.options as PostgresDataSourceOptions).schema;
    if (!schema)
      throw new OutboxError(
        'OUTBOX_INVALID_ARGUMENT',
        'OutboxRelay: the data source has no schema; pass { schema }',
      );
    this.tables = outboxTables(schema);
    this.batchSize = positive(options.batchSize ?? 100, 'batchSize');
    this.maxBatchBytes = positive(options.maxBatchBytes ?? 4 * 1024 * 1024, 'maxBatchBytes');
    this.maxMessageBytes = positive(options.maxMessageBytes ?? 16 * 1024 * 1024, 'maxMessageBytes');
    this.classifyFailure = options.classifyFailure ?? publishFailureOf;
    this.pollIntervalMs = positive(options.pollIntervalMs ?? 1000, 'pollIntervalMs');
    this.listeningPollIntervalMs = Math.max(
      this.pollIntervalMs,
      positive(options.listeningPollIntervalMs ?? 5000, 'listeningPollIntervalMs'),
    );
    this.maxBackoffMs = positive(options.maxBackoffMs ?? 30_000, 'maxBackoffMs');
    this.lingerMs = options.lingerMs ?? 0;
    if (!Number.isFinite(this.lingerMs) || this.lingerMs < 0)
      throw new OutboxError(
        'OUTBOX_INVALID_ARGUMENT',
        `OutboxRelay: lingerMs must be >= 0, got ${this.lingerMs}`,
      );
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.lagRefreshMs = options.lagRefreshMs ?? 5_000;
    this.retentionMs = options.retentionMs ?? 86_400_000;
    if (!Number.isFinite(this.retentionMs) || this.retentionMs < 0)
      throw new OutboxError(
        'OUTBOX_INVALID_ARGUMENT',
        `OutboxRelay: retentionMs must be >= 0, got ${this.retentionMs}`,
      );
    this.purgeIntervalMs = positive(options.purgeIntervalMs ?? 60_000, 'purgeIntervalMs');
    this.purgeBatchSize = positive(options.purgeBatchSize ?? 5_000, 'purgeBatchSize');
    this.metrics = relayMetrics(options.registry ?? defaultRegistry);
    this.logger = options.logger ?? createLogger('outbox-relay');
  }

  get running(): boolean {
    return this.loop !== null;
  }

  /** Starts listening and publishing in the background; returns once the listener is set up. */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    this.listenLost = false;
    this.heldElsewhere = false;
    if (this.options.listen ?? true) await this.listen();
    this.loop = this.run();
    this.logger.info(
      { schema: this.tables.schema, listening: this.listener !== null },
      'outbox relay started',
    );
  }

  /**
   * Stops taking new work and drains: keeps publishing while messages are left, for up to drainTimeoutMs, then
   * returns after the batch in hand is done. Whatever is left stays in the outbox for the next relay.
   */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.unlisten();
    this.logger.info({ schema: this.tables.schema }, 'outbox relay stopped');
  }

  /**
   * Publishes one batch if this relay can take the outbox: returns how many messages went out (0 when the outbox is
   * empty or another relay holds it). Messages that can never be published are set aside on the way (see the class).
   * Throws when the publisher fails transiently or the database fails; what was not published stays unpublished.
   */
  async publishBatch(): Promise<number> {
    return (await this.relayBatch()).published;
  }

  /** One turn of the relay: publish what it can of the next batch, set aside what it never can. */
  async relayBatch(): Promise<RelayBatchResult> {
    const t = this.tables;
    let transientFailure: { error: unknown } | undefined;
    const result = await this.options.dataSource.transaction(async (manager: EntityManager) => {
      // The unpublished are read by walking the partial index in id order (bitmap scans off for this transaction):
      // a plain index scan marks the entries of rows already published and deleted as dead the first time it passes
      // them, so the next scan skips them, whereas a bitmap scan (which the planner picks on stale statistics) visits
      // every one of them in the heap again, each turn, until vacuum removes them.
      const [lock] = (await manager.query(
        `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS held, set_config('enable_bitmapscan', 'off', true)`,
        [t.outboxChannel],
      )) as {
        held: boolean;
      }[];
      this.heldElsewhere = !lock?.held;
      if (!lock?.held) return { published: 0, setAside: [], moreWaiting: false };
      // One statement takes the batch: every candidate's size, and the contents of those that fit (the first
      // loadable one always, then while the running total stays within maxBatchBytes; none over maxMessageBytes),
      // so the relay never holds more than that however large messages are. A size is read from the stored jsonb (no
      // conversion) unless PostgreSQL compressed a column: then its text is measured, as a compressed size says
      // little about what loading it takes. A content the plan does not load is never read (nor detoasted).
      const taken = (await manager.query(
        `WITH c AS (
           SELECT id, topic,
             CASE WHEN pg_column_compression(key) IS NULL AND pg_column_compression(value) IS NULL
                       AND pg_column_compression(headers) IS NULL
               THEN pg_column_size(key) + pg_column_size(value) + pg_column_size(headers)
               ELSE octet_length(key::text) + octet_length(value::text) + octet_length(headers::text) END AS bytes
           FROM ${t.outbox}
           WHERE published_at IS NULL AND set_aside_at IS NULL
           ORDER BY id
           LIMIT $1
           FOR UPDATE SKIP LOCKED),
         p AS (
           SELECT c.id, c.topic, c.bytes, c.bytes <= $2 AS loadable,
             sum(CASE WHEN c.bytes <= $2 THEN c.bytes ELSE 0 END) OVER w AS running,
             count(*) FILTER (WHERE c.bytes <= $2) OVER w AS nth
           FROM c WINDOW w AS (ORDER BY c.id))
         SELECT p.id, p.topic, p.bytes, p.loadable, x.key, x.value, x.headers, x.traceparent, x.tracestate
         FROM p LEFT JOIN LATERAL (
           SELECT o.key, o.value, o.headers, o.traceparent, o.tracestate FROM ${t.outbox} o
           WHERE o.id = p.id AND p.loadable AND (p.nth = 1 OR p.running <= $3)) x ON true
         ORDER BY p.id`,
        [this.batchSize, this.maxMessageBytes, this.maxBatchBytes],
      )) as TakenRow[];
      if (taken.length === 0) return { published: 0, setAside: [], moreWaiting: false };

      const { rows, setAside, cut } = readPlan(taken, this.maxMessageBytes);
      const published: string[] = [];
      if (rows.length > 0) {
        try {
          await this.publishOrSetAside(rows, published, setAside);
        } catch (error) {
          // Transient: what went out so far is marked below and committed; the rest waits for the next turn.
          transientFailure = { error };
        }
      }
      // Marked (or deleted) only after the publisher's acknowledgement; if this statement or the COMMIT fails, they
      // are sent again.
      if (published.length > 0)
        await manager.query(
          this.retentionMs === 0
            ? `DELETE FROM ${t.outbox} WHERE id = ANY ($1::bigint[])`
            : `UPDATE ${t.outbox} SET published_at = now() WHERE id = ANY ($1::bigint[])`,
          [published],
        );
      if (setAside.length > 0)
        await manager.query(
          `UPDATE ${t.outbox} AS o SET set_aside_at = now(), set_aside_reason = s.reason
           FROM unnest($1::bigint[], $2::text[]) AS s(id, reason)
           WHERE o.id = s.id`,
          [setAside.map((m) => m.id), setAside.map((m) => `${m.failure.class}: ${m.failure.reason}`)],
        );
      return {
        published: published.length,
        setAside,
        moreWaiting: taken.length === this.batchSize || cut,
      };
    });
    if (result.published > 0) this.metrics.published.inc({ schema: t.schema }, result.published);
    if (result.setAside.length > 0) this.reportSetAside(result.setAside);
    if (transientFailure) throw transientFailure.error;
    return result;
  }

  /**
   * Publishes `rows` in id order. A permanent failure of a batch says only that some message in it is bad: the
   * halves are tried in turn until each bad message is alone, and set aside. A transient failure is thrown.
   */
  private async publishOrSetAside(
    rows: LoadedRow[],
    published: string[],
    setAside: SetAsideMessage[],
  ): Promise<void> {
    try {
      // The jsonb columns hold what insertOutboxMessages wrote from a typed OutboxMessage; each message goes out
      // under its own producer span continuing the trace context stored with it.
      await this.options.publish(rows.map(messageOfRow));
      published.push(...rows.map((r) => String(r.id)));
    } catch (error) {
      const failure = this.classifyFailure(error);
      if (!failure.permanent) throw error;
      const [only] = rows;
      if (rows.length === 1 && only) {
        setAside.push({ id: String(only.id), topic: only.topic, failure });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await this.publishOrSetAside(rows.slice(0, half), published, setAside);
      await this.publishOrSetAside(rows.slice(half), published, setAside);
    }
  }

  /** Counted by class and logged with the id, topic and reason only: a message's content never leaves the outbox. */
  private reportSetAside(messages: SetAsideMessage[]): void {
    for (const m of messages) {
      this.metrics.setAsideTotal.inc({ schema: this.tables.schema, reason: m.failure.class });
      this.logger.error(
        {
          schema: this.tables.schema,
          outboxId: m.id,
          topic: m.topic,
          failure: m.failure.class,
          reason: m.failure.reason,
        },
        'outbox message set aside: it can never be published as it is; the messages behind it go on',
      );
    }
    this.lagRefreshedAt = 0; // the set-aside gauge moves now, not at the next refresh
  }

  /** Unpublished messages, the age of the oldest, and the set-aside ones; also sets the gauges. */
  async lag(): Promise<OutboxLag> {
    const [r] = (await this.options.dataSource.query(
      `SELECT count(*) FILTER (WHERE set_aside_at IS NULL)::int AS unpublished,
              coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE set_aside_at IS NULL)), 0)::float8 AS oldest,
              count(*) FILTER (WHERE set_aside_at IS NOT NULL)::int AS set_aside
       FROM ${this.tables.outbox} WHERE published_at IS NULL`,
    )) as { unpublished: number; oldest: number; set_aside: number }[];
    const lag = {
      unpublished: Number(r?.unpublished ?? 0),
      oldestAgeSeconds: Math.max(0, Number(r?.oldest ?? 0)),
      setAside: Number(r?.set_aside ?? 0),
    };
    this.metrics.unpublished.set({ schema: this.tables.schema }, lag.unpublished);
    this.metrics.oldestAge.set({ schema: this.tables.schema }, lag.oldestAgeSeconds);
    this.metrics.setAside.set({ schema: this.tables.schema }, lag.setAside);
    this.lagRefreshedAt = Date.now();
    return lag;
  }

  /**
   * Deletes up to `limit` messages published more than `olderThanMs` ago, oldest first; returns how many. Unpublished
   * messages are never deleted, however old. The relay runs it every purgeIntervalMs with its retention.
   */
  async purgePublished(olderThanMs: number, limit = this.purgeBatchSize): Promise<number> {
    const t = this.tables;
    const result: unknown = await this.options.dataSource.query(
      `DELETE FROM ${t.outbox} WHERE id IN (
         SELECT id FROM ${t.outbox}
         WHERE published_at IS NOT NULL AND published_at < now() - $1::double precision * interval '1 millisecond'
         ORDER BY id
         LIMIT $2)`,
      [olderThanMs, limit],
    );
    const deleted = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
    if (deleted > 0) this.metrics.purged.inc({ schema: t.schema }, deleted);
    return deleted;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let drainDeadline = Number.POSITIVE_INFINITY;
    for (;;) {
      if (this.stopping && drainDeadline === Number.POSITIVE_INFINITY)
        drainDeadline = Date.now() + this.drainTimeoutMs;
      if (Date.now() >= drainDeadline) return;
      let moreWaiting = false;
      try {
        moreWaiting = (await this.relayBatch()).moreWaiting;
        failures = 0;
      } catch (error) {
        failures += 1;
        this.metrics.failures.inc({ schema: this.tables.schema });
        this.logger.warn(
          { err: error, schema: this.tables.schema, failures },
          'outbox publish failed; batch stays unpublished',
        );
        if (this.stopping) return;
        await this.sleep(
          Math.min(this.maxBackoffMs, this.pollIntervalMs * 2 ** Math.min(failures, 16)),
          false,
        );
        continue;
      }
      await this.refreshLagIfDue();
      await this.purgeIfDue();
      if (moreWaiting) continue; // no pause
      if (this.stopping) return; // drained
      if (this.listenLost) await this.listenAgain();
      await this.sleep(this.idleWaitMs(), true);
      // Woken (a commit's notification, or the poll): what else commits in the next moment goes in the same batch.
      // Notifications of those commits are answered by that batch (they committed before it reads): forgotten, so
      // they do not start an empty turn after it.
      if (this.lingerMs > 0 && !this.stopping) {
        await this.sleep(this.lingerMs, false);
        this.notified = false;
      }
    }
  }

  /**
   * How long an idle relay waits for a notification: the listening backstop while its LISTEN connection is up and
   * the last turn held the outbox, else pollIntervalMs; never past the next purge or lag refresh.
   */
  private idleWaitMs(): number {
    const poll =
      this.listener && !this.listenLost && !this.heldElsewhere
        ? this.listeningPollIntervalMs
        : this.pollIntervalMs;
    const now = Date.now();
    const lagDue = this.lagRefreshedAt + this.lagRefreshMs - now;
    const purgeDue = this.purgeDueAt - now;
    return Math.max(0, Math.min(poll, lagDue, purgeDue));
  }

  /** One purge statement when due; a full batch deleted means more is waiting, so the next turn purges again. */
  private async purgeIfDue(): Promise<void> {
    if (this.stopping || Date.now() < this.purgeDueAt) return;
    try {
      const deleted = await this.purgePublished(this.retentionMs);
      this.purgeDueAt = deleted === this.purgeBatchSize ? 0 : Date.now() + this.purgeIntervalMs;
    } catch (error) {
      this.purgeDueAt = Date.now() + this.purgeIntervalMs;
      this.logger.warn(
        { err: error, schema: this.tables.schema },
        'outbox purge failed; retried next interval',
      );
    }
  }

  private async refreshLagIfDue(): Promise<void> {
    if (Date.now() - this.lagRefreshedAt < this.lagRefreshMs) return;
    try {
      await this.lag();
    } catch (error) {
      this.lagRefreshedAt = Date.now(); // tried: the next try comes after lagRefreshMs, not at once
      this.logger.warn({ err: error, schema: this.tables.schema }, 'outbox lag query failed');
    }
  }

  /** Waits `ms`; a notification (when `wakeOnNotify`) or stop() ends the wait early. */
  private sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (wakeOnNotify && this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        if (wakeOnNotify) this.notified = false;
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = wakeOnNotify ? done : () => (this.stopping ? done() : undefined);
    });
  }

  private async listen(): Promise<void> {
    const runner = this.options.dataSource.createQueryRunner('master');
    try {
      const client = (await runner.connect()) as PoolClient;
      const onNotify = (n: Notification) => {
        if (n.channel !== this.tables.outboxChannel) return;
        this.notified = true;
        this.wake?.();
      };
      // A broken listening connection must not crash the process: the relay polls at pollIntervalMs and listens on a
      // new connection after its next turn.
      const onError = (error: Error) => {
        if (!this.listenLost)
          this.logger.warn(
            { err: error, schema: this.tables.schema },
            'outbox listener connection failed; polling until listening again',
          );
        this.lost();
      };
      const onEnd = () => this.lost();
      client.on('notification', onNotify);
      client.on('error', onError);
      client.on('end', onEnd);
      await runner.query(`LISTEN "${this.tables.outboxChannel}"`);
      this.listener = { runner, client, onNotify, onError, onEnd };
    } catch (error) {
      await runner.release();
      throw error;
    }
  }

  /** The listener is gone: an idle wait ends now, so the relay polls at pollIntervalMs and listens again. */
  private lost(): void {
    if (this.stopping || this.listenLost) return;
    this.listenLost = true;
    this.notified = true;
    this.wake?.();
  }

  /**
   * Listens on a new connection after the last one failed. Commits made meanwhile notified no one, so the turn after
   * this one comes at once. Failing, the relay keeps polling at pollIntervalMs and tries again after its next turn.
   */
  private async listenAgain(): Promise<void> {
    await this.unlisten();
    try {
      await this.listen();
      this.listenLost = false;
      this.notified = true;
      this.logger.info({ schema: this.tables.schema }, 'outbox listener connected again');
    } catch (error) {
      this.logger.warn(
        { err: error, schema: this.tables.schema },
        'outbox listener could not connect again; polling',
      );
    }
  }

  private async unlisten(): Promise<void> {
    const l = this.listener;
    if (!l) return;
    this.listener = null;
    try {
      // A lost connection has nothing to unlisten; its client leaves the pool when released.
      if (!this.listenLost) await l.runner.query(`UNLISTEN "${this.tables.outboxChannel}"`);
    } catch (error) {
      this.logger.warn({ err: error, schema: this.tables.schema }, 'outbox UNLISTEN failed');
    } finally {
      l.client.removeListener('notification', l.onNotify);
      l.client.removeListener('error', l.onError);
      l.client.removeListener('end', l.onEnd);
      // TypeORM releases a runner whose connection broke; releasing twice would throw.
      if (!l.runner.isReleased) await l.runner.release();
    }
  }
}

/**
 * The batch the relay's statement planned, in id order: the loaded rows (as many as fit in maxBatchBytes, at least
 * one), the candidates over `maxMessageBytes` before the cut (set aside unread), and whether the byte bound left
 * loadable candidates for the next batch (`cut`).
 */
function readPlan(
  taken: readonly TakenRow[],
  maxMessageBytes: number,
): { rows: LoadedRow[]; setAside: SetAsideMessage[]; cut: boolean } {
  const rows: LoadedRow[] = [];
  const setAside: SetAsideMessage[] = [];
  for (const r of taken) {
    const id = String(r.id);
    if (!r.loadable) {
      setAside.push({
        id,
        topic: r.topic,
        failure: {
          class: 'too-large',
          permanent: true,
          reason: `the stored message is ${Number(r.bytes)} bytes of JSON, over the relay's ${maxMessageBytes}-byte limit`,
        },
      });
      continue;
    }
    if (r.key === null || r.key === undefined) return { rows, setAside, cut: true };
    rows.push({
      id,
      topic: r.topic,
      key: r.key,
      value: r.value,
      headers: r.headers,
      traceparent: r.traceparent,
      tracestate: r.tracestate,
    });
  }
  return { rows, setAside, cut: false };
}

interface RelayMetrics {
  unpublished: Gauge<'schema'>;
  oldestAge: Gauge<'schema'>;
  setAside: Gauge<'schema'>;
  setAsideTotal: Counter<'schema' | 'reason'>;
  published: Counter<'schema'>;
  failures: Counter<'schema'>;
  purged: Counter<'schema'>;
}

/** Get-or-create, so several relays (one per schema, or a restarted one) share the metric families. */
function relayMetrics(registry: Registry): RelayMetrics {
  const gauge = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Gauge<'schema'> | undefined) ??
    new Gauge({ name, help, labelNames: ['schema'], registers: [registry] });
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<'schema'> | undefined) ??
    new Counter({ name, help, labelNames: ['schema'], registers: [registry] });
  return {
    unpublished: gauge(
      'closeout_outbox_unpublished_messages',
      'Outbox messages waiting to be published to Kafka (set-aside ones excluded)',
    ),
    setAside: gauge(
      'closeout_outbox_set_aside_messages',
      'Outbox messages set aside because they can never be published as they are; an operator re-drives or discards them',
    ),
    setAsideTotal:
      (registry.getSingleMetric('closeout_outbox_set_aside_total') as
        Counter<'schema' | 'reason'> | undefined) ??
      new Counter({
        name: 'closeout_outbox_set_aside_total',
        help: 'Outbox messages set aside, by failure class (too-large, invalid-message, broker-rejected, ...)',
        labelNames: ['schema', 'reason'],
        registers: [registry],
      }),
    oldestAge: gauge(
      'closeout_outbox_oldest_unpublished_age_seconds',
      'Age of the oldest unpublished outbox message',
    ),
    published: counter('closeout_outbox_published_total', 'Outbox messages published to Kafka'),
    failures: counter(
      'closeout_outbox_publish_failures_total',
      'Outbox batches whose publish or marking failed',
    ),
    purged: counter(
      'closeout_outbox_purged_total',
      'Published outbox messages deleted after their retention',
    ),
  };
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new OutboxError('OUTBOX_INVALID_ARGUMENT', `OutboxRelay: ${name} must be > 0, got ${value}`);
  }
  return value;
}

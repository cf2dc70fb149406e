import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ExportConfig } from './export.config';
import { ExportMetrics } from './export.metrics';
import { ExportRepository, type SinkName } from './export.repository';
import { HecClient } from './hec/hec.client';
import { HecSink } from './hec/hec.sink';
import type { Sink, SinkLog } from './sink';
import { SyslogSink } from './syslog/syslog.sink';

const LAG_REFRESH_MS = 5_000;
const STANDBY_RETRY_MS = 5_000;

/**
 * Runs each configured sink in its own loop: its own position, its own backoff, its own lock. One sink down never
 * holds another back. A sink of a store runs in one process at a time: a PostgreSQL session advisory lock per store
 * and sink (released when the process dies), the other replicas stand by.
 */
export class ExportRunner {
  readonly metrics = new ExportMetrics();
  private readonly repo: ExportRepository;
  private readonly sinks: Sink[] = [];
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();
  private lagTimer: NodeJS.Timeout | undefined;
  /** The HEC channel of this process. */
  readonly hecChannel: string | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly config: ExportConfig,
    private readonly log: SinkLog,
  ) {
    this.repo = new ExportRepository(db);
    if (config.hec) {
      this.hecChannel = config.hec.channel ?? randomUUID();
      const client = new HecClient(config.hec, this.hecChannel);
      this.sinks.push(
        new HecSink(config.hec, client, this.repo, this.metrics, log, config.pollMs, config.maxBackoffMs),
      );
    }
    if (config.syslog) {
      this.sinks.push(
        new SyslogSink(config.syslog, this.repo, this.metrics, log, config.pollMs, config.maxBackoffMs),
      );
    }
  }

  sinkNames(): SinkName[] {
    return this.sinks.map((s) => s.name);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const sink of this.sinks) {
      this.metrics.init(sink.name);
      this.loops.push(this.loop(sink));
    }
    if (this.sinks.length > 0) {
      this.lagTimer = setInterval(() => void this.refreshLag(), LAG_REFRESH_MS);
      this.lagTimer.unref();
      void this.refreshLag();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.lagTimer) clearInterval(this.lagTimer);
    for (const wake of this.wakers) wake();
    await Promise.all(this.loops);
    this.loops.length = 0;
  }

  async refreshLag(): Promise<void> {
    for (const sink of this.sinks) {
      try {
        const lag = await this.repo.lag(sink.name);
        this.metrics.lagSeconds.set({ sink: sink.name }, lag.seconds);
        this.metrics.pendingEvents.set({ sink: sink.name }, lag.events);
      } catch (error) {
        this.log.warn({ sink: sink.name, err: error }, 'could not read the export lag');
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async loop(sink: Sink): Promise<void> {
    const lock = this.db.createQueryRunner();
    // Per store and sink: replicas of one store take turns; another store on the same database (its own schema) is
    // another trail, and its exporter never waits on this one.
    const schema = (this.db.options as { schema?: string }).schema ?? 'public';
    const key = `closeout-audit-export:${schema}:${sink.name}`;
    let locked = false;
    try {
      while (this.running) {
        try {
          if (!locked) {
            await lock.connect();
            const rows = (await lock.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key])) as {
              ok: boolean;
            }[];
            locked = rows[0]?.ok === true;
            if (!locked) {
              await this.sleep(STANDBY_RETRY_MS);
              continue;
            }
            this.log.info({ sink: sink.name }, 'audit export sink running');
          }
          await this.sleep(await sink.step());
        } catch (error) {
          // A database error (the store or our tables unreachable): the position is in the database, so wait and retry.
          this.metrics.failed.inc({ sink: sink.name, reason: 'unavailable' });
          this.log.warn({ sink: sink.name, err: error }, 'audit export step failed; retrying');
          await this.sleep(Math.min(this.config.maxBackoffMs, 1_000));
        }
      }
    } finally {
      await sink.close().catch(() => undefined);
      if (locked) await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
      await lock.release().catch(() => undefined);
    }
  }
}

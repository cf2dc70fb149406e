/**
 * PostgreSQL's own account of the measured run, from pg_stat_statements when the server loads it
 * (`shared_preload_libraries = 'pg_stat_statements'`; docs/performance.md says how): statements and their execution
 * time per case, the busiest statements, and the blocks they dirtied. Optional evidence: without the extension the
 * run goes on and says so.
 */
import { Client } from 'pg';

export interface StatementRow {
  query: string;
  calls: number;
  totalMs: number;
  rows: number;
  dirtied: number;
}

export interface StatementStats {
  rows: StatementRow[];
  /** pg_stat_wal since the reset: records, full-page images, bytes (the whole server). */
  wal?: { records: number; fullPages: number; bytes: number };
}

/** Resets pg_stat_statements for this database; returns why not when it cannot (no extension, no privilege). */
export async function resetStatements(databaseUrl: string): Promise<string | undefined> {
  return withClient(databaseUrl, async (db) => {
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await db.query('SELECT pg_stat_statements_reset()');
    await db.query(`SELECT pg_stat_reset_shared('wal')`).catch(() => undefined);
    return undefined;
  }).catch((e: unknown) => (e as Error).message);
}

/** What pg_stat_statements counted for this database since the reset (the sampler's own statements left out). */
export async function readStatements(databaseUrl: string): Promise<StatementStats | undefined> {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query<{
      query: string;
      calls: string;
      total_ms: number;
      rows: string;
      dirtied: string;
    }>(
      `SELECT s.query, s.calls, s.total_exec_time AS total_ms, s.rows, s.shared_blks_dirtied AS dirtied
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_%'`,
    );
    const wal = await db
      .query<{ records: string; fpi: string; bytes: string }>(
        'SELECT wal_records AS records, wal_fpi AS fpi, wal_bytes AS bytes FROM pg_stat_wal',
      )
      .then((r) => r.rows[0])
      .catch(() => undefined);
    return {
      ...(wal
        ? { wal: { records: Number(wal.records), fullPages: Number(wal.fpi), bytes: Number(wal.bytes) } }
        : {}),
      rows: rows.map((r) => ({
        query: r.query,
        calls: Number(r.calls),
        totalMs: Number(r.total_ms),
        rows: Number(r.rows),
        dirtied: Number(r.dirtied),
      })),
    };
  }).catch(() => undefined);
}

/** Statement texts with the run's schema prefixes taken out, so one statement reads the same in every stack. */
export function shortStatement(query: string, width = 120): string {
  const flat = query
    .replace(/\s+/g, ' ')
    .replace(/"?\b[a-z]+_[0-9a-f]{6,}_([a-z_]+)"?\./g, '$1.')
    .trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** Per-case totals and the `top` statements by execution time, as printable lines. */
/**
 * The rows summed by statement text (`shortStatement` at `width`): one statement run in several schemas (each its
 * own entry in pg_stat_statements) is one row.
 */
export function statementsByText(rows: readonly StatementRow[], width: number): StatementRow[] {
  const byText = new Map<string, StatementRow>();
  for (const r of rows) {
    const key = shortStatement(r.query, width);
    const seen = byText.get(key);
    if (seen) {
      seen.calls += r.calls;
      seen.totalMs += r.totalMs;
      seen.rows += r.rows;
      seen.dirtied += r.dirtied;
    } else byText.set(key, { ...r, query: key });
  }
  return [...byText.values()];
}

export function statementLines(stats: StatementStats, cases: number, top = 15): string[] {
  const all = statementsByText(stats.rows, 400);
  const sum = (f: (r: StatementRow) => number) => all.reduce((a, r) => a + f(r), 0);
  const lines = [
    `  PostgreSQL (pg_stat_statements): ${(sum((r) => r.calls) / cases).toFixed(1)} statements per case, ` +
      `${(sum((r) => r.totalMs) / cases).toFixed(2)} ms executing per case, ` +
      `${(sum((r) => r.dirtied) / cases).toFixed(1)} blocks dirtied per case; the busiest:`,
    ...(stats.wal
      ? [
          `  WAL (pg_stat_wal, the whole server): ${(stats.wal.records / cases).toFixed(1)} records, ` +
            `${(stats.wal.fullPages / cases).toFixed(1)} full-page images and ${(stats.wal.bytes / cases / 1024).toFixed(1)} KiB per case`,
        ]
      : []),
    `  ${'calls/case'.padStart(10)} ${'ms/case'.padStart(8)} ${'rows/call'.padStart(9)}  statement`,
  ];
  for (const r of all.sort((a, b) => b.totalMs - a.totalMs).slice(0, top))
    lines.push(
      `  ${(r.calls / cases).toFixed(2).padStart(10)} ${(r.totalMs / cases).toFixed(3).padStart(8)} ` +
        `${(r.rows / Math.max(1, r.calls)).toFixed(1).padStart(9)}  ${shortStatement(r.query)}`,
    );
  return lines;
}

/** One connection for `use`, closed after, whatever happens; `application_name` names it in pg_stat_activity. */
export async function withClient<T>(
  databaseUrl: string,
  use: (db: Client) => Promise<T>,
  applicationName = 'e2e-bench-statements',
): Promise<T> {
  const db = new Client({ connectionString: databaseUrl, application_name: applicationName });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}

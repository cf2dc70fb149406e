/**
 * Parse and plan a statement once per connection, not on every call: every parameterised statement TypeORM sends on
 * the data source goes to PostgreSQL as a named prepared statement of its connection (node-postgres sends Parse once
 * per name and connection, then only Bind and Execute; PostgreSQL keeps the plan). A service's hot statements are a
 * few fixed texts run thousands of times — the orchestrator's one-statement save of a decision, the ledger's claim and
 * transitions, the inbox insert — and planning them was a fifth of PostgreSQL's time per case (pg_stat_statements,
 * docs/performance.md).
 *
 * - Only statements with parameters: they are single commands by protocol (a parameterless text may hold several).
 * - At most `maxPerConnection` texts per connection are prepared; later ones run unnamed as before, so a text made
 *   per call (a list spelled out) cannot grow a backend's memory without bound.
 * - A statement whose table changed shape under it (a replica's additive migration; SQLSTATE 0A000 "cached plan must
 *   not change result type") fails that once: its text is prepared again under a new name on the next call.
 *
 * Nothing of the statement changes: TypeORM still sees and logs the same text, the subscribers count it the same.
 */
import type { DataSource } from 'typeorm';

/** Only the parts of node-postgres's pool and client this touches. */
interface PgClient {
  query: (...args: unknown[]) => unknown;
}
interface PgPool {
  on(event: 'acquire', listener: (client: PgClient) => void): unknown;
}

const PREPARED = Symbol.for('closeout.preparedStatements');

export interface PreparedStatementsOptions {
  /** Distinct statement texts prepared per connection (default 200). */
  maxPerConnection?: number;
}

/** Sends the data source's parameterised statements as prepared statements, per connection (see the module). */
export function prepareStatements(dataSource: DataSource, options: PreparedStatementsOptions = {}): void {
  const max = options.maxPerConnection ?? 200;
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool || typeof pool.on !== 'function')
    throw new Error('prepareStatements: the data source has no node-postgres pool (is it PostgreSQL, initialized?)');
  pool.on('acquire', (client) => preparing(client, max));
}

function preparing(client: PgClient & { [PREPARED]?: true }, max: number): void {
  if (client[PREPARED]) return;
  client[PREPARED] = true;
  const query = client.query.bind(client);
  const names = new Map<string, string>();
  let next = 0;
  client.query = (...args: unknown[]): unknown => {
    const [text, values] = args;
    if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values) || values.length === 0)
      return query(...args);
    let name = names.get(text);
    if (name === undefined) {
      if (names.size >= max) return query(...args);
      name = `closeout_${(next += 1)}`;
      names.set(text, name);
    }
    const sent = query({ name, text, values }) as Promise<unknown>;
    return sent.catch((error: unknown) => {
      if ((error as { code?: unknown }).code === '0A000') names.set(text, `closeout_${(next += 1)}`);
      throw error;
    });
  };
}

import type { EntityManager } from 'typeorm';

/**
 * Runs a statement and returns its rows. TypeORM's PostgreSQL driver answers an UPDATE or DELETE as
 * `[rows, rowCount]` and any other statement as the rows; callers get the rows either way.
 */
export async function rowsOf<T>(
  db: Pick<EntityManager, 'query'>,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const result: unknown = await db.query(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

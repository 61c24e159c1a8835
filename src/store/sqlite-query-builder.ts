import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { Database } from './database.js';

/**
 * A query builder that only compiles SQLite statements. The SQLite store executes them itself,
 * synchronously, so that a write transaction never yields to the event loop while it holds the
 * file's write lock (another store in the same process would otherwise wait on it in vain).
 */
export function createSqliteQueryBuilder(): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
}

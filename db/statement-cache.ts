// Kysely's SQLite driver prepares a new statement for every query it runs. Each prepared statement
// holds native memory until the JS garbage collector gets round to it, which it has no reason to
// hurry: on a busy desk that grew the process by ~100 KB per recorded click (docs/PERFORMANCE.md),
// and every query paid the prepare again. Kysely's SQL is parameterised, so the distinct texts are
// few: keeping the prepared statements, least recently used out first, bounds both.

import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export function withStatementCache(sqlite: BetterSqlite3.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement) {
        // Map keeps insertion order: re-inserting marks it as the most recently used.
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= capacity) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

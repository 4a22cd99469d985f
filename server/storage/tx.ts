// Every write is one transaction. On SQLite it starts with BEGIN IMMEDIATE, so that a server and
// an admin command writing the same file queue on the busy timeout instead of failing halfway.
// On PostgreSQL it is an ordinary READ COMMITTED transaction: the change counter (changes.ts)
// is what orders concurrent writers.

import type { Kysely } from 'kysely';
import { writeTransaction as sqliteWriteTransaction } from '../../db/tx.ts';
import type { ServerDatabase } from './database.ts';
import type { ServerSchema } from './schema.ts';

export async function writeTransaction<T>(
  sdb: ServerDatabase,
  work: (trx: Kysely<ServerSchema>) => Promise<T>,
): Promise<T> {
  if (sdb.dialect === 'postgres') {
    // Two requests carrying the same ids in a different order can deadlock; PostgreSQL aborts one,
    // which is safe to run again from the start.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await sdb.db.transaction().execute(work);
      } catch (error) {
        if (attempt >= 3 || !isRetryable(error)) throw error;
      }
    }
  }
  return sqliteWriteTransaction(sdb.db, work);
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

// Every write is one transaction, taken with BEGIN IMMEDIATE so that two connections (the UI's and
// the sync worker's) queue on the busy timeout instead of failing halfway through an upgrade.

import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Generic over the schema: the server's SQLite storage takes its transactions the same way. */
export async function writeTransaction<T, DB = Database>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await work(conn);
      await sql`COMMIT`.execute(conn);
      return result;
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

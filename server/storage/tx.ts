// Every write is one transaction. On SQLite it starts with BEGIN IMMEDIATE, so that a server and
// an admin command writing the same file queue on the busy timeout instead of failing halfway.
// On PostgreSQL it is an ordinary READ COMMITTED transaction: the change counter (changes.ts)
// is what orders concurrent writers.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { writeTransaction as sqliteWriteTransaction } from '../../db/tx.ts';
import type { ServerDatabase } from './database.ts';
import type { ServerSchema } from './schema.ts';

/**
 * PostgreSQL may abort a transaction that is safe to run again from the start: a deadlock (40P01)
 * or a serialization failure (40001). Pushes take their row locks in one order (push.ts), so this
 * should be rare; a retry waits a random time, growing with each try, so that the transactions that
 * collided do not collide again. If every try fails the caller answers 503 (the device retries).
 */
export const transactionRetry = { tries: 8, baseMs: 5, capMs: 400 } as const;

export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(transactionRetry.capMs, transactionRetry.baseMs * 2 ** attempt);
}

export async function writeTransaction<T>(
  sdb: ServerDatabase,
  work: (trx: Kysely<ServerSchema>) => Promise<T>,
): Promise<T> {
  if (sdb.dialect === 'postgres') {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await sdb.db.transaction().execute(work);
      } catch (error) {
        if (attempt >= transactionRetry.tries || !isRetryable(error)) throw error;
        await sleep(retryDelayMs(attempt));
      }
    }
  }
  return sqliteWriteTransaction(sdb.db, work);
}

export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

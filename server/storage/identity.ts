// The server database's identity (epoch) and the head of its change log: what lets a device tell
// that the server it talks to is not the one its cursor came from (docs/sync-protocol.md).

import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ServerSchema } from './schema.ts';

export async function readServerEpoch(db: Kysely<ServerSchema>): Promise<string> {
  const row = await db.selectFrom('server_identity').select('epoch').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.epoch;
}

/** After restoring a backup: devices then re-read everything and send their own records again. */
export async function rotateServerEpoch(db: Kysely<ServerSchema>): Promise<string> {
  const epoch = randomUUID();
  await db.updateTable('server_identity').set({ epoch, created_at: new Date().toISOString() }).where('id', '=', 1).execute();
  return epoch;
}

/** True when a device's cursor is past the last change this database ever numbered (a restore). */
export async function cursorIsAhead(db: Kysely<ServerSchema>, cursor: string): Promise<boolean> {
  if (/^0*$/.test(cursor)) return false;
  // As text: an SQLite integer above 2^53 read as a JavaScript number would be rounded.
  const row = await db
    .selectFrom('counters')
    .select(sql<string>`CAST(value AS TEXT)`.as('head'))
    .where('name', '=', 'changes')
    .executeTakeFirst();
  return BigInt(cursor) > BigInt(row?.head ?? '0');
}

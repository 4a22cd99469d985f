// The outbox as the sync engine reads and settles it: oldest first, one transaction per answer.

import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { writeTransaction } from './tx.ts';

export interface OutboxEntry {
  seq: number;
  kind: 'attempt' | 'void';
  recordId: string;
  /** The record as JSON, exactly as it will travel. */
  payload: string;
}

/**
 * The next pending entries, oldest first, up to `maxItems` and about `maxBytes` of payload (always
 * at least one, whatever its size, so the server can say what is wrong with it).
 */
export async function takePendingBatch(
  db: Kysely<Database>,
  options: { maxItems: number; maxBytes: number; afterSeq?: number },
): Promise<OutboxEntry[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['seq', 'kind', 'record_id', 'payload'])
    .where('state', '=', 'pending')
    .where('seq', '>', options.afterSeq ?? 0)
    .orderBy('seq')
    .limit(options.maxItems)
    .execute();
  const batch: OutboxEntry[] = [];
  let bytes = 0;
  for (const row of rows) {
    bytes += row.payload.length * 3 + 40; // worst case UTF-8 plus the item's envelope
    if (batch.length > 0 && bytes > options.maxBytes) break;
    batch.push({ seq: row.seq, kind: row.kind, recordId: row.record_id, payload: row.payload });
  }
  return batch;
}

export interface Settlement {
  /** Applied or already known by the server: nothing left to tell. */
  done: number[];
  /** Refused by the server: kept aside with the reason, out of the queue's way. */
  dead: { seq: number; reason: string }[];
}

/** Records what the server answered, in one transaction. */
export async function settleOutbox(db: Kysely<Database>, settlement: Settlement, at: string): Promise<void> {
  if (settlement.done.length === 0 && settlement.dead.length === 0) return;
  await writeTransaction(db, async (trx) => {
    // SQLite allows 32766 bound values; batches are far smaller, chunks keep it true anyway.
    for (let i = 0; i < settlement.done.length; i += 5000) {
      await trx.deleteFrom('outbox').where('seq', 'in', settlement.done.slice(i, i + 5000)).execute();
    }
    for (const { seq, reason } of settlement.dead) {
      await trx
        .updateTable('outbox')
        .set((eb) => ({ state: 'dead', last_error: reason, failed_at: at, tries: eb('tries', '+', 1) }))
        .where('seq', '=', seq)
        .execute();
    }
  });
}

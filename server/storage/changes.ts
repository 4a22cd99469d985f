// The change log that devices pull, and why its order is the commit order.
//
// A pull hands out rows with seq > cursor, so a row must never become visible after a row with a
// larger seq: a device that already moved its cursor past it would never see it. A database
// sequence does not promise that (transaction A takes 5, B takes 6, B commits, a pull returns 6,
// then A commits 5: lost). Here every writer takes its numbers by incrementing ONE counter row,
// as the last step of its transaction. The row lock is held until commit, so the next writer
// gets its numbers only once the previous one has committed (or rolled back, which also undoes
// its increment: no gaps). PostgreSQL makes a transaction visible before it releases its locks,
// so a reader that sees seq N also sees every seq below N. On SQLite writers are serialised by
// the database lock anyway; the same code holds there.
// The cost is that writers serialise for the few statements after the counter: kept short.

import { sql, type Kysely } from 'kysely';
import { declarableChangeKinds, type DeclarableChangeKind } from '../../contract/enums.ts';
import type { ChangeKind, ServerSchema } from './schema.ts';

export interface Change {
  kind: ChangeKind;
  ref: string;
}

/**
 * Appends changes in the given order. Call it at the end of a write transaction: what comes after
 * it runs serialised with every other writer (a push writes its shared rows there on purpose, push.ts).
 */
export async function appendChanges(trx: Kysely<ServerSchema>, changes: Change[]): Promise<void> {
  if (changes.length === 0) return;
  // Change numbers are exact integers up to 2^63-1: read as text, counted as bigint, written as text
  // (a number above 2^53 read as a JavaScript number would be rounded, and collide).
  const row = await trx
    .updateTable('counters')
    .set({ value: sql`value + ${changes.length}` })
    .where('name', '=', 'changes')
    .returning(sql<string>`CAST(value AS TEXT)`.as('value'))
    .executeTakeFirstOrThrow();
  const last = BigInt(row.value);
  const first = last - BigInt(changes.length) + 1n;
  const rows = changes.map((c, i) => ({ seq: String(first + BigInt(i)), kind: c.kind, ref: c.ref }));
  // A client's earlier entries are superseded: a pull always sends its current row.
  const clientRefs = changes.filter((c) => c.kind === 'client').map((c) => c.ref);
  for (let i = 0; i < clientRefs.length; i += 500) {
    // The literal (not a bound 'client') lets SQLite use the partial index changes_by_client.
    await trx
      .deleteFrom('changes')
      .where(sql<boolean>`kind = 'client'`)
      .where('ref', 'in', clientRefs.slice(i, i + 500))
      .where('seq', '<', String(first))
      .execute();
  }
  for (let i = 0; i < rows.length; i += 500) {
    await trx.insertInto('changes').values(rows.slice(i, i + 500)).execute();
  }
}

export interface ChangeRow {
  /** The change number in decimal digits, exact. */
  seq: string;
  kind: ChangeKind;
  ref: string;
}

/** cursor: decimal digits (checked by the protocol schema). Both databases compare it as an integer. */
export async function readChangesAfter(
  db: Kysely<ServerSchema>,
  cursor: string,
  limit: number,
  /** Kinds beyond the baseline the device reads (x-desk-kinds): the others are never sent to it. */
  declared: readonly DeclarableChangeKind[] = [],
): Promise<ChangeRow[]> {
  const left = declarableChangeKinds.filter((k) => !declared.includes(k));
  let query = db.selectFrom('changes');
  if (left.length > 0) query = query.where('kind', 'not in', left);
  const rows = await query
    // Aliased apart: ORDER BY seq must sort the bigint column (and use its index), not this text.
    .select([sql<string>`CAST(seq AS TEXT)`.as('seq_digits'), 'kind', 'ref'])
    .where('seq', '>', sql<string>`CAST(${cursor} AS BIGINT)`)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ seq: r.seq_digits, kind: r.kind, ref: r.ref }));
}

// Pulled records this version of the app cannot read: kept as they came, out of the pull's way.
// The rule (docs/sync-protocol.md, "Growing the protocol"): a reader never fails on what a newer
// writer sends; it keeps it, says how many, and reads it again once the app is updated.

import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface UnknownChange {
  kind: string;
  payload: string;
  problem: string;
}

export async function keepUnknownChanges(trx: Kysely<Database>, changes: readonly UnknownChange[], appVersion: string, at: string): Promise<void> {
  for (const change of changes) {
    await trx
      .insertInto('sync_unknown')
      .values({ kind: change.kind.slice(0, 64), payload: change.payload, problem: change.problem.slice(0, 500), app_version: appVersion, received_at: at })
      .execute();
  }
}

export async function countUnknownChanges(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('sync_unknown').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Records set aside by another version of the app: worth reading again with this one. */
export async function takeUnknownChangesFromOtherVersions(db: Kysely<Database>, appVersion: string): Promise<{ seq: number; payload: string }[]> {
  return db.selectFrom('sync_unknown').select(['seq', 'payload']).where('app_version', '!=', appVersion).orderBy('seq').execute();
}

export async function forgetUnknownChanges(trx: Kysely<Database>, seqs: readonly number[]): Promise<void> {
  for (let i = 0; i < seqs.length; i += 500) await trx.deleteFrom('sync_unknown').where('seq', 'in', seqs.slice(i, i + 500)).execute();
}

export async function markUnknownChangesSeenBy(trx: Kysely<Database>, seqs: readonly number[], appVersion: string): Promise<void> {
  for (let i = 0; i < seqs.length; i += 500) {
    await trx.updateTable('sync_unknown').set({ app_version: appVersion }).where('seq', 'in', seqs.slice(i, i + 500)).execute();
  }
}

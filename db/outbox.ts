// The outbox: what this device still has to tell the server. Written in the same transaction as
// the attempt or void it carries, so a record is either both stored and queued, or neither.

import type { Kysely } from 'kysely';
import type { AttemptRecord, DeadLetter, ReasonRecord, VoidRecord } from '../contract/index.ts';
import type { Database } from './schema.ts';
import { getMeta } from './settings.ts';
import { getServerFeatures, serverFeaturesKey } from './sync-meta.ts';

export async function enqueueAttempt(trx: Kysely<Database>, record: AttemptRecord, at: string): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({ kind: 'attempt', record_id: record.id, payload: JSON.stringify(record), created_at: at, state: 'pending' })
    .execute();
}

export async function enqueueVoid(trx: Kysely<Database>, record: VoidRecord, at: string): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({ kind: 'void', record_id: record.attemptId, payload: JSON.stringify(record), created_at: at, state: 'pending' })
    .execute();
}

export async function enqueueReason(trx: Kysely<Database>, record: ReasonRecord, at: string): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({ kind: 'reason', record_id: record.attemptId, payload: JSON.stringify(record), created_at: at, state: 'pending' })
    .execute();
}

/**
 * What is waiting and what was refused. Reasons a server without 'attempt.reason' cannot take wait
 * for one that can, and are not counted as waiting meanwhile: nothing the agent could do drains them.
 */
export async function countOutbox(db: Kysely<Database>): Promise<{ pending: number; dead: number }> {
  const features = await getMeta(db, serverFeaturesKey);
  const listed = features === null ? null : await getServerFeatures(db);
  const reasonsWait = listed !== null && !listed.includes('attempt.reason');
  const callbacksWait = listed !== null && !listed.includes('record.callback');
  const rows = await db
    .selectFrom('outbox')
    .select(['state', 'kind', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['state', 'kind'])
    .execute();
  const count = (state: string) =>
    rows
      .filter((r) => r.state === state && !(state === 'pending' && ((reasonsWait && r.kind === 'reason') || (callbacksWait && r.kind === 'callback'))))
      .reduce((n, r) => n + Number(r.n), 0);
  return { pending: count('pending'), dead: count('dead') };
}

export async function listDeadLetters(db: Kysely<Database>): Promise<DeadLetter[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['seq', 'kind', 'record_id', 'payload', 'last_error', 'failed_at', 'created_at'])
    .where('state', '=', 'dead')
    .orderBy('seq')
    .execute();
  return rows.map((r) => {
    const payload = JSON.parse(r.payload) as Partial<AttemptRecord>;
    // A void's or a reason's client is its attempt's; the payload names only the attempt.
    return {
      seq: r.seq,
      kind: r.kind,
      recordId: r.record_id,
      clientCode: payload.clientCode ?? null,
      reason: r.last_error ?? '',
      failedAt: r.failed_at ?? r.created_at,
    };
  });
}

/** Puts dead letters back in the queue, e.g. once the missing client exists on the server. */
export async function retryDeadLetters(db: Kysely<Database>): Promise<number> {
  const result = await db
    .updateTable('outbox')
    .set({ state: 'pending', last_error: null, failed_at: null })
    .where('state', '=', 'dead')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The most frequent reasons among dead letters, for the device's report to the server. */
export async function topDeadLetterReasons(db: Kysely<Database>, max: number): Promise<{ reason: string; count: number }[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['last_error', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'dead')
    .groupBy('last_error')
    .orderBy('n', 'desc')
    .limit(max)
    .execute();
  return rows.map((r) => ({ reason: (r.last_error ?? '').slice(0, 500), count: Number(r.n) }));
}

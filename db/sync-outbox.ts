// The outbox as the sync engine reads and settles it: oldest first, one transaction per answer.

import { sql, type Kysely } from 'kysely';
import type { PushRecordKind } from '../contract/enums.ts';
import type { AttemptRecord, CallbackRecord, ReasonRecord, VoidRecord } from '../contract/records.ts';
import { enqueueAttempt, enqueueReason, enqueueVoid } from './outbox.ts';
import type { Database } from './schema.ts';
import { writeTransaction } from './tx.ts';

export interface OutboxEntry {
  seq: number;
  kind: PushRecordKind;
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
  options: {
    maxItems: number;
    maxBytes: number;
    afterSeq?: number;
    /**
     * Only records signed by these agent ids: the ones the token's agent may push. The server gives
     * a 'local:' record to the token's agent, so another profile's records must not ride on it.
     */
    agentIds?: readonly string[];
    kinds?: readonly PushRecordKind[];
  },
): Promise<OutboxEntry[]> {
  // Kinds the server does not take (a reason for a server without 'attempt.reason') stay queued
  // for a server that will: never sent, never dropped.
  const kinds = options.kinds ?? (['attempt', 'void'] as const);
  let query = db
    .selectFrom('outbox')
    .select(['seq', 'kind', 'record_id', 'payload'])
    .where('state', '=', 'pending')
    .where('kind', 'in', [...kinds])
    .where('seq', '>', options.afterSeq ?? 0);
  if (options.agentIds) query = query.where(sql<string>`json_extract(payload, '$.agentId')`, 'in', options.agentIds.length ? [...options.agentIds] : ['']);
  const rows = await query
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

/**
 * Queues again every attempt and void this device made that is not already queued: after the
 * server lost records (restored from a backup, or replaced), what this device still holds goes
 * back. The server answers 'duplicate' to what it kept, so this is always safe; attempts first,
 * so that no void travels ahead of its attempt.
 */
export async function requeueOwnRecords(trx: Kysely<Database>, deviceId: string, at: string): Promise<number> {
  const queued = new Set(
    (await trx.selectFrom('outbox').select(['kind', 'record_id']).execute()).map((r) => `${r.kind}:${r.record_id}`),
  );
  const attempts = await trx
    .selectFrom('attempts')
    .selectAll()
    .where('device_id', '=', deviceId)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  const voids = await trx.selectFrom('voids').selectAll().where('device_id', '=', deviceId).orderBy('voided_at').execute();
  let count = 0;
  for (const a of attempts) {
    if (queued.has(`attempt:${a.id}`)) continue;
    const record: AttemptRecord = {
      id: a.id,
      clientCode: a.client_code,
      agentId: a.agent_id,
      agentName: a.agent_name,
      occurredAt: a.occurred_at,
      utcOffsetMin: a.utc_offset_min,
      status: a.status,
      channel: a.channel,
      note: a.note,
      deviceId: a.device_id,
    };
    await enqueueAttempt(trx, record, at);
    count += 1;
  }
  for (const v of voids) {
    if (queued.has(`void:${v.attempt_id}`)) continue;
    const record: VoidRecord = {
      attemptId: v.attempt_id,
      agentId: v.agent_id,
      agentName: v.agent_name,
      voidedAt: v.voided_at,
      utcOffsetMin: v.utc_offset_min,
      reason: v.reason,
      kind: v.kind,
      deviceId: v.device_id,
    };
    await enqueueVoid(trx, record, at);
    count += 1;
  }
  const events = await trx.selectFrom('callback_events').selectAll().where('device_id', '=', deviceId).orderBy('at').orderBy('id').execute();
  for (const e of events) {
    if (queued.has(`callback:${e.id}`)) continue;
    const record: CallbackRecord = {
      id: e.id,
      callbackId: e.callback_id,
      event: e.event,
      clientCode: e.client_code,
      dueAt: e.due_at,
      forAgentId: e.for_agent_id,
      attemptId: e.attempt_id,
      agentId: e.agent_id,
      agentName: e.agent_name,
      at: e.at,
      utcOffsetMin: e.utc_offset_min,
      deviceId: e.device_id,
    };
    await trx.insertInto('outbox').values({ kind: 'callback', record_id: e.id, payload: JSON.stringify(record), created_at: at, state: 'pending' }).execute();
    count += 1;
  }
  const reasons = await trx
    .selectFrom('attempt_reasons')
    .innerJoin('attempts', 'attempts.id', 'attempt_reasons.attempt_id')
    .select(['attempt_reasons.attempt_id', 'attempt_reasons.code', 'attempt_reasons.chosen_at', 'attempt_reasons.utc_offset_min', 'attempts.agent_id', 'attempts.agent_name'])
    .where('attempts.device_id', '=', deviceId)
    .orderBy('attempt_reasons.chosen_at')
    .execute();
  for (const r of reasons) {
    if (queued.has(`reason:${r.attempt_id}`)) continue;
    const record: ReasonRecord = {
      attemptId: r.attempt_id,
      code: r.code,
      agentId: r.agent_id,
      agentName: r.agent_name,
      chosenAt: r.chosen_at,
      utcOffsetMin: r.utc_offset_min,
      deviceId,
    };
    await enqueueReason(trx, record, at);
    count += 1;
  }
  return count;
}

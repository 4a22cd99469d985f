// Call-backs: schedule one ("Rappeler…"), cancel it, close the open ones of a client with an
// attempt, and read the worklist "À rappeler". Every change is an append-only event
// (callback_events) queued for the server; `callbacks` follows the events by triggers (0009).

import { sql, type Kysely } from 'kysely';
import {
  DeskError,
  callbackTimes,
  limits,
  type CallbackItem,
  type CallbackList,
  type CallbackQuickChoice,
  type CallbackRecord,
} from '../contract/index.ts';
import type { ActingContext } from './attempts.ts';
import { clientExists } from './clients.ts';
import { utcOffsetMinutes } from './clock.ts';
import { uuidv7 } from './ids.ts';
import type { Database } from './schema.ts';
import { getMeta, setMeta } from './settings.ts';
import { writeTransaction } from './tx.ts';

/** "Due now": fell due within these minutes; earlier than that it is overdue. */
export const dueNowMinutes = 15;

export const handoverKey = 'callback_handover_minutes';

/** The stored delay, if it reads as one; else the default. */
export function handoverMinutesOf(stored: string | null | undefined): number {
  const raw = Number(stored);
  return Number.isInteger(raw) && raw > 0 && raw <= 7 * 24 * 60 ? raw : limits.callbackHandoverMinutes;
}

export async function loadHandoverMinutes(db: Kysely<Database>): Promise<number> {
  return handoverMinutesOf(await getMeta(db, handoverKey));
}

/** What the server said at the greeting; null: the default. */
export async function saveHandoverMinutes(db: Kysely<Database>, minutes: number | null): Promise<void> {
  await setMeta(db, { [handoverKey]: minutes === null ? null : String(minutes) });
}

/** A quick choice in the desk's local time. */
export function quickChoiceTime(choice: CallbackQuickChoice, now: Date): Date {
  if (choice === 'in1h') return new Date(now.getTime() + 60 * 60_000);
  if (choice === 'afternoon') {
    if (now.getHours() * 60 + now.getMinutes() > callbackTimes.afternoonUntilMinutes) throw new DeskError('callback.tooLate');
    return new Date(now.getFullYear(), now.getMonth(), now.getDate(), callbackTimes.afternoonHour);
  }
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, callbackTimes.morningHour);
}

export async function insertCallbackEvents(trx: Kysely<Database>, records: readonly CallbackRecord[]): Promise<number> {
  let inserted = 0;
  for (const r of records) {
    const result = await trx
      .insertInto('callback_events')
      .values({
        id: r.id,
        callback_id: r.callbackId,
        event: r.event,
        client_code: r.clientCode,
        due_at: r.dueAt,
        for_agent_id: r.forAgentId,
        attempt_id: r.attemptId,
        agent_id: r.agentId,
        agent_name: r.agentName,
        at: r.at,
        utc_offset_min: r.utcOffsetMin,
        device_id: r.deviceId,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

async function recordEvent(trx: Kysely<Database>, record: CallbackRecord): Promise<void> {
  await insertCallbackEvents(trx, [record]);
  await trx
    .insertInto('outbox')
    .values({ kind: 'callback', record_id: record.id, payload: JSON.stringify(record), created_at: record.at, state: 'pending' })
    .execute();
}

function eventOf(ctx: ActingContext, at: Date, fields: Pick<CallbackRecord, 'callbackId' | 'event' | 'clientCode' | 'dueAt' | 'forAgentId' | 'attemptId'> & { id?: string }): CallbackRecord {
  return {
    id: fields.id ?? uuidv7(),
    callbackId: fields.callbackId,
    event: fields.event,
    clientCode: fields.clientCode,
    dueAt: fields.dueAt,
    forAgentId: fields.forAgentId,
    attemptId: fields.attemptId,
    agentId: ctx.agent.id,
    agentName: ctx.agent.name,
    at: at.toISOString(),
    utcOffsetMin: utcOffsetMinutes(at),
    deviceId: ctx.deviceId,
  };
}

export async function scheduleCallback(
  db: Kysely<Database>,
  ctx: ActingContext,
  input: { clientCode: string; when: CallbackQuickChoice | { at: string }; forTeam: boolean },
): Promise<CallbackItem> {
  const now = ctx.clock.now();
  const due = typeof input.when === 'string' ? quickChoiceTime(input.when, now) : new Date(input.when.at);
  // A minute of slack for the time it took to type it; a year at most: a call-back, not an archive.
  if (due.getTime() < now.getTime() - 60_000) throw new DeskError('callback.past');
  if (due.getTime() > now.getTime() + 366 * 24 * 3600_000) throw new DeskError('input.invalid', { details: 'when.at' });
  const id = uuidv7();
  const record = eventOf(ctx, now, {
    id,
    callbackId: id,
    event: 'scheduled',
    clientCode: input.clientCode,
    dueAt: due.toISOString(),
    forAgentId: input.forTeam ? null : ctx.agent.id,
    attemptId: null,
  });
  await writeTransaction(db, async (trx) => {
    if (!(await clientExists(trx, input.clientCode))) throw new DeskError('client.notFound', { code: input.clientCode });
    await recordEvent(trx, record);
  });
  const list = await listCallbacks(db, ctx, [ctx.agent.id, ...ctx.formerAgentIds]);
  const item = [...list.dueNow, ...list.overdue, ...list.laterToday, ...list.later].find((c) => c.callbackId === id);
  if (!item) throw new Error(`call-back ${id} written but not listed`);
  return item;
}

export async function cancelCallback(db: Kysely<Database>, ctx: ActingContext, callbackId: string): Promise<{ cancelled: boolean }> {
  const now = ctx.clock.now();
  return writeTransaction(db, async (trx) => {
    const open = await trx.selectFrom('callbacks').selectAll().where('callback_id', '=', callbackId).where('state', '=', 'open').executeTakeFirst();
    if (!open) throw new DeskError('callback.notFound');
    await recordEvent(trx, eventOf(ctx, now, { callbackId, event: 'cancelled', clientCode: open.client_code, dueAt: null, forAgentId: null, attemptId: null }));
    return { cancelled: true };
  });
}

/** An open call-back of the client an attempt was just made on. */
export interface OpenCallback {
  callback_id: string;
  for_agent_id: string | null;
  due_at: string;
}

/**
 * An attempt on a client closes the open call-backs of that client this agent may take (its own,
 * the team's, another agent's handed over): the call was made. Returns their ids.
 */
export function callbacksClosedBy(open: readonly OpenCallback[], agentIds: readonly string[], now: Date, handoverMinutes: number): string[] {
  const handoverBefore = new Date(now.getTime() - handoverMinutes * 60_000).toISOString();
  return open
    .filter((c) => c.for_agent_id === null || agentIds.includes(c.for_agent_id) || c.due_at < handoverBefore)
    .map((c) => c.callback_id);
}

/** Records 'done' for each call-back the attempt closed. Call inside the attempt's transaction. */
export async function closeCallbacks(trx: Kysely<Database>, ctx: ActingContext, clientCode: string, attemptId: string, callbackIds: readonly string[], now: Date): Promise<void> {
  for (const callbackId of callbackIds) {
    await recordEvent(trx, eventOf(ctx, now, { callbackId, event: 'done', clientCode, dueAt: null, forAgentId: null, attemptId }));
  }
}

/** End of the local day, as a UTC instant. */
function endOfLocalDay(at: Date): string {
  return new Date(at.getFullYear(), at.getMonth(), at.getDate() + 1).toISOString();
}

/**
 * The worklist: open call-backs for this agent, for the team, and other agents' ones past due by
 * more than the site's delay (VICIdial's rule: a personal call-back left open becomes the team's).
 */
export async function listCallbacks(db: Kysely<Database>, ctx: Pick<ActingContext, 'clock'>, agentIds: readonly string[]): Promise<CallbackList> {
  const now = ctx.clock.now();
  const handoverMinutes = await loadHandoverMinutes(db);
  const handoverBefore = new Date(now.getTime() - handoverMinutes * 60_000).toISOString();
  const ids = agentIds.length > 0 ? [...agentIds] : [''];
  const rows = await db
    .selectFrom('callbacks')
    .innerJoin('clients', 'clients.code', 'callbacks.client_code')
    .select(['callbacks.callback_id', 'callbacks.client_code', 'clients.name', 'callbacks.due_at', 'callbacks.for_agent_id', 'callbacks.scheduled_by_name'])
    .where('callbacks.state', '=', 'open')
    .where((eb) =>
      eb.or([eb('callbacks.for_agent_id', 'is', null), eb('callbacks.for_agent_id', 'in', ids), eb('callbacks.due_at', '<', handoverBefore)]),
    )
    .orderBy('callbacks.due_at')
    .orderBy('callbacks.callback_id')
    .limit(2000)
    .execute();
  const dueNowFrom = new Date(now.getTime() - dueNowMinutes * 60_000).toISOString();
  const nowIso = now.toISOString();
  const dayEnd = endOfLocalDay(now);
  const list: CallbackList = { dueNow: [], overdue: [], laterToday: [], later: [], handoverMinutes };
  for (const r of rows) {
    const mine = r.for_agent_id !== null && ids.includes(r.for_agent_id);
    const item: CallbackItem = {
      callbackId: r.callback_id,
      clientCode: r.client_code,
      clientName: r.name,
      dueAt: r.due_at,
      forAgentId: r.for_agent_id,
      mine,
      handedOver: r.for_agent_id !== null && !mine,
      scheduledBy: r.scheduled_by_name,
    };
    if (r.due_at < dueNowFrom) list.overdue.push(item);
    else if (r.due_at <= nowIso) list.dueNow.push(item);
    else if (r.due_at < dayEnd) list.laterToday.push(item);
    else list.later.push(item);
  }
  return list;
}

/** Open call-backs due by now that this agent may take, for the queue (db/queue.ts). */
export function dueCallbackClients(db: Kysely<Database>, agentIds: readonly string[], now: Date, handoverMinutes: number) {
  const handoverBefore = new Date(now.getTime() - handoverMinutes * 60_000).toISOString();
  const ids = agentIds.length > 0 ? [...agentIds] : [''];
  return db
    .selectFrom('callbacks')
    .select(['client_code', 'due_at'])
    .where('state', '=', 'open')
    .where('due_at', '<=', now.toISOString())
    .where((eb) => eb.or([eb('for_agent_id', 'is', null), eb('for_agent_id', 'in', ids), eb('due_at', '<', handoverBefore)]))
    .orderBy('due_at')
    .orderBy(sql`callback_id`);
}

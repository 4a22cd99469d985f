// Applies one page pulled from the server, inside the caller's transaction: clients, then attempts,
// then voids, then whatever was parked waiting for them. Records already here change nothing.
//
// Attempts go in by the page (db/attempts.ts insertAttemptRecords, the same path as a click): a
// few statements per page, which is what lets a device catch up on 100,000 attempts in seconds.

import type { Kysely } from 'kysely';
import type { AttemptRecord, CallbackRecord, VoidRecord } from '../contract/index.ts';
import type { ClientRecord } from '../contract/sync-protocol.ts';
import { insertAttemptRecords, insertPulledReasons, insertVoidRecord } from './attempts.ts';
import { insertCallbackEvents } from './callbacks.ts';
import { upsertClient } from './clients.ts';
import type { Database } from './schema.ts';

export interface PulledPage {
  clients: ClientRecord[];
  /** Call-back events (feature 'record.callback'); absent from pages of older servers. */
  callbacks?: CallbackRecord[];
  /** With the reason's code once the server knows one (feature 'attempt.reason'). */
  attempts: (AttemptRecord & { reason?: string })[];
  voids: VoidRecord[];
}

export interface ApplySummary {
  clients: number;
  attempts: number;
  voids: number;
  /** Records set aside because what they refer to has not arrived yet. */
  parked: number;
  /** Parked records that could be applied with this page. */
  unparked: number;
}

const chunkSize = 400;

function chunks<T>(items: readonly T[], size = chunkSize): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function existingClientCodes(trx: Kysely<Database>, codes: Iterable<string>): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunks([...new Set(codes)])) {
    const rows = await trx.selectFrom('clients').select('code').where('code', 'in', part).execute();
    for (const r of rows) found.add(r.code);
  }
  return found;
}

async function attemptClientCodes(trx: Kysely<Database>, ids: Iterable<string>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const part of chunks([...new Set(ids)])) {
    const rows = await trx.selectFrom('attempts').select(['id', 'client_code']).where('id', 'in', part).execute();
    for (const r of rows) found.set(r.id, r.client_code);
  }
  return found;
}

/** A client's newer version wins; an older one (a late page, a stale server copy) changes nothing. */
async function applyClients(trx: Kysely<Database>, clients: ClientRecord[]): Promise<number> {
  let applied = 0;
  for (const part of chunks(clients)) {
    const rows = await trx
      .selectFrom('clients')
      .select(['code', 'updated_at'])
      .where('code', 'in', part.map((c) => c.code))
      .execute();
    const known = new Map(rows.map((r) => [r.code, r.updated_at]));
    for (const c of part) {
      const localUpdatedAt = known.get(c.code);
      if (localUpdatedAt !== undefined && localUpdatedAt > c.updatedAt) continue;
      const { updatedAt, ...input } = c;
      await upsertClient(trx, input, updatedAt);
      known.set(c.code, updatedAt);
      applied += 1;
    }
  }
  return applied;
}

async function park(trx: Kysely<Database>, kind: 'attempt' | 'void', recordId: string, waitsFor: string, record: unknown, at: string) {
  await trx
    .insertInto('sync_parked')
    .values({ kind, record_id: recordId, waits_for: waitsFor, payload: JSON.stringify(record), parked_at: at })
    .onConflict((oc) => oc.columns(['kind', 'record_id']).doNothing())
    .execute();
}

async function applyVoids(trx: Kysely<Database>, voids: VoidRecord[], at: string): Promise<{ applied: number; parked: number }> {
  const clientOf = await attemptClientCodes(
    trx,
    voids.map((v) => v.attemptId),
  );
  let applied = 0;
  let parked = 0;
  for (const v of voids) {
    const clientCode = clientOf.get(v.attemptId);
    if (clientCode === undefined) {
      await park(trx, 'void', v.attemptId, v.attemptId, v, at);
      parked += 1;
    } else if (await insertVoidRecord(trx, v, clientCode)) applied += 1;
  }
  return { applied, parked };
}

/** Applies parked records whose client or attempt is now here; repeats while that unblocks more. */
async function unpark(trx: Kysely<Database>): Promise<{ attempts: number; voids: number }> {
  let attempts = 0;
  let voids = 0;
  for (;;) {
    const rows = await trx.selectFrom('sync_parked').selectAll().orderBy('parked_at').execute();
    if (rows.length === 0) break;
    const parkedAttempts = rows.filter((r) => r.kind === 'attempt');
    const parkedVoids = rows.filter((r) => r.kind === 'void');
    const clients = await existingClientCodes(
      trx,
      parkedAttempts.map((r) => r.waits_for),
    );
    const readyAttempts = parkedAttempts.filter((r) => clients.has(r.waits_for));
    const attemptsHere = await attemptClientCodes(
      trx,
      parkedVoids.map((r) => r.waits_for),
    );
    const readyVoids = parkedVoids.filter((r) => attemptsHere.has(r.waits_for));
    if (readyAttempts.length === 0 && readyVoids.length === 0) break;
    const records = readyAttempts.map((r) => JSON.parse(r.payload) as AttemptRecord & { reason?: string });
    attempts += (await insertAttemptRecords(trx, records)).length;
    await insertPulledReasons(trx, records);
    for (const r of readyVoids) {
      if (await insertVoidRecord(trx, JSON.parse(r.payload) as VoidRecord, attemptsHere.get(r.waits_for)!)) voids += 1;
    }
    for (const r of [...readyAttempts, ...readyVoids]) {
      await trx.deleteFrom('sync_parked').where('kind', '=', r.kind).where('record_id', '=', r.record_id).execute();
    }
  }
  return { attempts, voids };
}

/** Call inside the transaction that also saves the page's cursor. */
export async function applyPulledPage(trx: Kysely<Database>, page: PulledPage, at: string): Promise<ApplySummary> {
  const clients = await applyClients(trx, page.clients);

  const known = await existingClientCodes(
    trx,
    page.attempts.map((a) => a.clientCode),
  );
  let parked = 0;
  const ready: AttemptRecord[] = [];
  for (const a of page.attempts) {
    if (known.has(a.clientCode)) ready.push(a);
    else {
      await park(trx, 'attempt', a.id, a.clientCode, a, at);
      parked += 1;
    }
  }
  const attempts = (await insertAttemptRecords(trx, ready)).length;
  // Also for attempts already here: a reason given after the click comes with its attempt again.
  await insertPulledReasons(trx, ready);
  const voids = await applyVoids(trx, page.voids, at);
  // No parking: an event whose client is not here yet waits in place (the worklist joins clients).
  if (page.callbacks?.length) await insertCallbackEvents(trx, page.callbacks);
  parked += voids.parked;

  const anyParked = await trx.selectFrom('sync_parked').select('record_id').limit(1).executeTakeFirst();
  const unparked = anyParked ? await unpark(trx) : { attempts: 0, voids: 0 };
  return {
    clients,
    attempts: attempts + unparked.attempts,
    voids: voids.applied + unparked.voids,
    parked,
    unparked: unparked.attempts + unparked.voids,
  };
}

// Applies one page pulled from the server, inside the caller's transaction: clients, then attempts,
// then voids, then whatever was parked waiting for them. Records already here change nothing.
//
// Attempts go in by the page rather than one by one (insertAttemptRecord): same rule — insert
// unless the id is known, the status moves only to a later attempt, the count grows by what was
// inserted — but a few statements per page instead of four per attempt, which is what lets a
// device catch up on 100,000 attempts in seconds. test/integration/sync-apply.test.ts checks both
// give the same clients.

import { sql, type Kysely } from 'kysely';
import type { AttemptRecord, VoidRecord } from '../contract/index.ts';
import type { ClientRecord } from '../contract/sync-protocol.ts';
import { insertVoidRecord } from './attempts.ts';
import { upsertClient } from './clients.ts';
import type { Database } from './schema.ts';
import { isLater } from './status.ts';

export interface PulledPage {
  clients: ClientRecord[];
  attempts: AttemptRecord[];
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

/**
 * Inserts attempt records whose client exists, ignoring ids already here, and moves each client's
 * status to its latest attempt if that is later than the current one. Returns the inserted records.
 */
export async function insertAttemptRecords(trx: Kysely<Database>, records: AttemptRecord[]): Promise<AttemptRecord[]> {
  const unique = [...new Map(records.map((r) => [r.id, r])).values()];
  const inserted: AttemptRecord[] = [];
  const byId = new Map(unique.map((r) => [r.id, r]));
  for (const part of chunks(unique)) {
    const rows = await trx
      .insertInto('attempts')
      .values(
        part.map((r) => ({
          id: r.id,
          client_code: r.clientCode,
          agent_id: r.agentId,
          agent_name: r.agentName,
          occurred_at: r.occurredAt,
          utc_offset_min: r.utcOffsetMin,
          status: r.status,
          channel: r.channel,
          note: r.note,
          device_id: r.deviceId,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    for (const row of rows) inserted.push(byId.get(row.id)!);
  }
  if (inserted.length === 0) return inserted;

  // Per client: how many arrived, and the latest of them. A new attempt cannot be voided yet (a
  // void needs its attempt first), so the latest new one is the only candidate for the status.
  const perClient = new Map<string, { n: number; latest: AttemptRecord }>();
  for (const r of inserted) {
    const entry = perClient.get(r.clientCode);
    if (!entry) perClient.set(r.clientCode, { n: 1, latest: r });
    else {
      entry.n += 1;
      if (isLater({ id: r.id, occurred_at: r.occurredAt }, { id: entry.latest.id, occurred_at: entry.latest.occurredAt })) {
        entry.latest = r;
      }
    }
  }
  // One statement per chunk of clients; every SET reads the row as it was, so "later than the
  // current status" is judged against the status before this page.
  for (const part of chunks([...perClient.entries()], 1000)) {
    const values = sql.join(
      part.map(
        ([code, { n, latest }]) =>
          sql`(${code}, ${n}, ${latest.id}, ${latest.occurredAt}, ${latest.status}, ${latest.agentId}, ${latest.agentName})`,
      ),
    );
    const later = sql`(clients.last_attempt_id IS NULL OR clients.last_attempt_at IS NULL
      OR v.occurred_at > clients.last_attempt_at
      OR (v.occurred_at = clients.last_attempt_at AND v.id > clients.last_attempt_id))`;
    await sql`
      WITH v(code, n, id, occurred_at, status, agent_id, agent_name) AS (VALUES ${values})
      UPDATE clients SET
        attempt_count = clients.attempt_count + v.n,
        last_status = CASE WHEN ${later} THEN v.status ELSE clients.last_status END,
        last_attempt_at = CASE WHEN ${later} THEN v.occurred_at ELSE clients.last_attempt_at END,
        last_attempt_id = CASE WHEN ${later} THEN v.id ELSE clients.last_attempt_id END,
        last_agent_id = CASE WHEN ${later} THEN v.agent_id ELSE clients.last_agent_id END,
        last_agent_name = CASE WHEN ${later} THEN v.agent_name ELSE clients.last_agent_name END
      FROM v WHERE clients.code = v.code`.execute(trx);
  }
  return inserted;
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
    attempts += (
      await insertAttemptRecords(
        trx,
        readyAttempts.map((r) => JSON.parse(r.payload) as AttemptRecord),
      )
    ).length;
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
  const voids = await applyVoids(trx, page.voids, at);
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

// Each client's synthetic status on the server, kept in the push's transaction by the desk's own
// code (db/status.ts, the rule of contract/status-rule.ts): the server's clients, attempts and voids
// tables carry the same column names as the desk's, so one implementation serves both. The server
// adds one figure of its own: the failures in a row at the head of the history (the dashboard's
// "last N attempts all failed").

import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { AttemptRecord } from '../contract/records.ts';
import type { Database } from '../db/schema.ts';
import { isLater } from '../contract/status-rule.ts';
import { applyNewAttempts, recomputeClientStatus } from '../db/status.ts';
import type { Change } from './storage/changes.ts';
import type { ServerSchema } from './storage/schema.ts';

const chunk = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

const live = (alias: string) => sql.raw(`NOT EXISTS (SELECT 1 FROM voids WHERE voids.attempt_id = ${alias}.id)`);

/** The latest non-voided success of the client: its time and id (both null when there is none). */
const lastSuccess = (column: 'occurred_at' | 'id') =>
  sql.raw(`(SELECT s.${column} FROM attempts s WHERE s.client_code = clients.code AND s.status = 'success'
    AND NOT EXISTS (SELECT 1 FROM voids WHERE voids.attempt_id = s.id) ORDER BY s.occurred_at DESC, s.id DESC LIMIT 1)`);

/** Non-voided failures after the latest non-voided success, in status order: one pass over the history. */
const failureStreak = sql`(
  SELECT COUNT(*) FROM attempts f
  WHERE f.client_code = clients.code AND f.status = 'failure' AND ${live('f')}
    AND (${lastSuccess('id')} IS NULL OR f.occurred_at > ${lastSuccess('occurred_at')}
      OR (f.occurred_at = ${lastSuccess('occurred_at')} AND f.id > ${lastSuccess('id')})))`;

export async function refreshFailureStreaks(trx: Kysely<ServerSchema>, codes: string[]): Promise<void> {
  for (const part of chunk(codes, 500)) {
    await sql`UPDATE clients SET failure_streak = ${failureStreak} WHERE code IN (${sql.join(part)})`.execute(trx);
  }
}

/** After a push's inserts: statuses of the clients its applied attempts and voids touch. */
export async function keepClientStatuses(trx: Kysely<ServerSchema>, changes: Change[]): Promise<void> {
  const attemptIds = changes.filter((c) => c.kind === 'attempt').map((c) => c.ref);
  const voidedIds = changes.filter((c) => c.kind === 'void').map((c) => c.ref);
  if (attemptIds.length === 0 && voidedIds.length === 0) return;
  const desk = trx as unknown as Kysely<Database>;
  const touched = new Set<string>();
  const fresh: AttemptRecord[] = [];
  for (const ids of chunk(attemptIds, 500)) {
    const rows = await trx.selectFrom('attempts').select(['id', 'client_code', 'occurred_at', 'status', 'agent_id', 'agent_name']).where('id', 'in', ids).execute();
    for (const r of rows) {
      touched.add(r.client_code);
      fresh.push({ id: r.id, clientCode: r.client_code, occurredAt: r.occurred_at, status: r.status, agentId: r.agent_id, agentName: r.agent_name } as AttemptRecord);
    }
  }
  const voidedClients = new Set<string>();
  for (const ids of chunk(voidedIds, 500)) {
    for (const r of await trx.selectFrom('attempts').select('client_code').where('id', 'in', ids).execute()) voidedClients.add(r.client_code);
  }
  // Concurrent pushes touching the same clients lock them in one order (by code), so that they
  // queue instead of deadlocking; SQLite runs one writer at a time anyway. NO KEY UPDATE, the lock
  // the status UPDATE takes anyway: it does not conflict with KEY SHARE locks (a foreign key check
  // from a server migrated before 0007 dropped the attempts→clients key). The rows read are the
  // statuses before this push: what the failures in a row are carried on from.
  const all = [...new Set([...touched, ...voidedClients])].sort();
  const before = new Map<string, { at: string | null; id: string | null; streak: number }>();
  const locks = trx.getExecutor().adapter instanceof PostgresAdapter;
  for (const part of chunk(all, 500)) {
    const query = trx.selectFrom('clients').select(['code', 'last_attempt_at', 'last_attempt_id', 'failure_streak']).where('code', 'in', part).orderBy('code');
    for (const r of await (locks ? query.forNoKeyUpdate() : query).execute()) {
      before.set(r.code, { at: r.last_attempt_at, id: r.last_attempt_id, streak: Number(r.failure_streak) });
    }
  }
  await applyNewAttempts(desk, fresh);
  // A void can move the status backwards: recomputed from the history, as the desk does.
  for (const code of voidedClients) {
    touched.add(code);
    await recomputeClientStatus(desk, code);
  }
  const { carried, recount } = carryFailureStreaks(fresh, before, voidedClients);
  await writeFailureStreaks(trx, carried);
  await refreshFailureStreaks(trx, recount);
}

/**
 * The failures in a row after this push, without reading the history when it can be told: attempts
 * all later than the client's status so far carry its streak on (a failure adds one, a success
 * resets it). A late attempt (older than the status) or a void needs the history: recounted.
 */
export function carryFailureStreaks(
  fresh: readonly Pick<AttemptRecord, 'id' | 'clientCode' | 'occurredAt' | 'status'>[],
  before: ReadonlyMap<string, { at: string | null; id: string | null; streak: number }>,
  voidedClients: ReadonlySet<string>,
): { carried: [string, number][]; recount: string[] } {
  const perClient = new Map<string, { id: string; occurred_at: string; status: string }[]>();
  for (const a of fresh) {
    const list = perClient.get(a.clientCode) ?? [];
    list.push({ id: a.id, occurred_at: a.occurredAt, status: a.status });
    perClient.set(a.clientCode, list);
  }
  const carried: [string, number][] = [];
  const recount = new Set(voidedClients);
  for (const [code, attempts] of perClient) {
    if (recount.has(code)) continue;
    const was = before.get(code);
    attempts.sort((x, y) => (isLater(x, y) ? 1 : isLater(y, x) ? -1 : 0));
    if (!was || (was.id !== null && was.at !== null && !isLater(attempts[0]!, { id: was.id, occurred_at: was.at }))) {
      recount.add(code);
      continue;
    }
    let streak = was.id === null ? 0 : was.streak;
    for (const a of attempts) streak = a.status === 'failure' ? streak + 1 : 0;
    carried.push([code, streak]);
  }
  return { carried, recount: [...recount] };
}

async function writeFailureStreaks(trx: Kysely<ServerSchema>, carried: [string, number][]): Promise<void> {
  for (const part of chunk(carried, 1000)) {
    const values = sql.join(part.map(([code, streak]) => sql`(${code}, CAST(${streak} AS INTEGER))`));
    await sql`WITH v(code, streak) AS (VALUES ${values}) UPDATE clients SET failure_streak = v.streak FROM v WHERE clients.code = v.code`.execute(trx);
  }
}

/** Every client's status from the whole history (migration, benchmark database). */
export async function recomputeAllClientStatuses(db: Kysely<ServerSchema>): Promise<void> {
  const latest = (column: string) =>
    sql.raw(`(SELECT a.${column} FROM attempts a WHERE a.client_code = clients.code AND NOT EXISTS (SELECT 1 FROM voids WHERE voids.attempt_id = a.id) ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1)`);
  await sql`UPDATE clients SET
    attempt_count = (SELECT COUNT(*) FROM attempts a WHERE a.client_code = clients.code AND ${live('a')}),
    last_attempt_id = ${latest('id')},
    last_attempt_at = ${latest('occurred_at')},
    last_status = ${latest('status')},
    last_agent_id = ${latest('agent_id')},
    last_agent_name = ${latest('agent_name')},
    failure_streak = ${failureStreak}`.execute(db);
}

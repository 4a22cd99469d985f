// Each client's synthetic status on the server, kept in the push's transaction by the desk's own
// code (db/status.ts, the rule of contract/status-rule.ts): the server's clients, attempts and voids
// tables carry the same column names as the desk's, so one implementation serves both. The server
// adds one figure of its own: the failures in a row at the head of the history (the dashboard's
// "last N attempts all failed").

import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { AttemptRecord } from '../contract/records.ts';
import type { Database } from '../db/schema.ts';
import { applyNewAttempts, recomputeClientStatus } from '../db/status.ts';
import type { ServerSchema } from './storage/schema.ts';

const chunk = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

const live = (alias: string) => sql.raw(`NOT EXISTS (SELECT 1 FROM voids WHERE voids.attempt_id = ${alias}.id)`);

/** The latest non-voided success of the client: its time and id (both null when there is none). */
const lastSuccess = (column: 'occurred_at' | 'id') =>
  sql.raw(`(SELECT s.${column} FROM attempts s WHERE s.client_code = clients.code AND s.status = 'success'
    AND NOT EXISTS (SELECT 1 FROM voids WHERE voids.attempt_id = s.id) ORDER BY s.occurred_at DESC, s.id DESC LIMIT 1)`);

/**
 * Non-voided failures after the latest non-voided success, in status order. The bound on the time
 * lets the count read only the range after that success (attempts_by_client_time), not the whole
 * history; without a success the bound is '' (every failure counts).
 */
const failureStreak = sql`(
  SELECT COUNT(*) FROM attempts f
  WHERE f.client_code = clients.code AND f.status = 'failure' AND ${live('f')}
    AND f.occurred_at >= COALESCE(${lastSuccess('occurred_at')}, '')
    AND (f.occurred_at > COALESCE(${lastSuccess('occurred_at')}, '') OR f.id > COALESCE(${lastSuccess('id')}, '')))`;

export async function refreshFailureStreaks(trx: Kysely<ServerSchema>, codes: string[]): Promise<void> {
  for (const part of chunk(codes, 500)) {
    await sql`UPDATE clients SET failure_streak = ${failureStreak} WHERE code IN (${sql.join(part)})`.execute(trx);
  }
}

/** What a push applied: its new attempts (as stored) and the client of each attempt it voided. */
export interface StatusChanges {
  attempts: readonly Pick<AttemptRecord, 'id' | 'clientCode' | 'occurredAt' | 'status' | 'agentId' | 'agentName'>[];
  voidedClients: readonly string[];
}

/**
 * After a push's inserts: statuses of the clients its applied attempts and voids touch, before the
 * change counter (push.ts), so that pushes of disjoint clients (agents working their own portfolios)
 * keep their statuses in parallel. Pushes sharing clients lock them in one order (by code, then
 * the counter), so they queue instead of deadlocking; what they hold meanwhile is kept short: one
 * UPDATE per 1,000 clients (status and failures in a row together, from the rows the push has in
 * memory), a history read only for late attempts and voids.
 */
export async function keepClientStatuses(trx: Kysely<ServerSchema>, changes: StatusChanges): Promise<StreakMoves> {
  const moves: StreakMoves = new Map();
  if (changes.attempts.length === 0 && changes.voidedClients.length === 0) return moves;
  const desk = trx as unknown as Kysely<Database>;
  const voided = [...new Set(changes.voidedClients)].sort();
  const all = [...new Set([...changes.attempts.map((a) => a.clientCode), ...voided])].sort();
  // The streaks before, for the dashboard's count of clients per streak (streakCounts). On
  // PostgreSQL this read also takes the rows' locks in code order: the UPDATE's own locks follow its
  // plan's order. NO KEY UPDATE, the lock the UPDATE takes anyway. SQLite runs one writer at a time.
  const locks = trx.getExecutor().adapter instanceof PostgresAdapter;
  const before = new Map<string, number>();
  for (const part of chunk(all, 1000)) {
    const query = trx.selectFrom('clients').select(['code', 'failure_streak']).where('code', 'in', part).orderBy('code');
    for (const r of await (locks ? query.forNoKeyUpdate() : query).execute()) before.set(r.code, Number(r.failure_streak));
  }
  await applyNewAttempts(desk, changes.attempts as AttemptRecord[], { recount: failureStreak });
  // A void can move the status backwards: recomputed from the history, as the desk does.
  for (const code of voided) await recomputeClientStatus(desk, code);
  await refreshFailureStreaks(trx, voided);
  for (const part of chunk(all, 1000)) {
    for (const r of await trx.selectFrom('clients').select(['code', 'failure_streak']).where('code', 'in', part).execute()) {
      const was = before.get(r.code) ?? 0;
      const now = Number(r.failure_streak);
      if (was === now) continue;
      if (was > 0) moves.set(was, (moves.get(was) ?? 0) - 1);
      if (now > 0) moves.set(now, (moves.get(now) ?? 0) + 1);
    }
  }
  return moves;
}

/** streak → change in the number of clients with that many failures in a row (streaks of 0 are not counted). */
export type StreakMoves = Map<number, number>;

/**
 * The dashboard's "clients whose last N attempts all failed" is a sum over client_streak_counts
 * (clients per streak ≥ 1) instead of a count over hundreds of thousands of client rows. Every push
 * shares these rows: written after the change counter (push.ts), in streak order.
 */
export async function moveStreakCounts(trx: Kysely<ServerSchema>, moves: StreakMoves): Promise<void> {
  const rows = [...moves].filter(([, d]) => d !== 0).sort(([a], [b]) => a - b);
  if (rows.length === 0) return;
  await trx
    .insertInto('client_streak_counts')
    .values(rows.map(([streak, d]) => ({ streak, clients: d })))
    .onConflict((oc) => oc.column('streak').doUpdateSet({ clients: sql`client_streak_counts.clients + excluded.clients` }))
    .execute();
}

/** client_streak_counts from the clients themselves (migration; after recomputeAllClientStatuses). */
export async function rebuildStreakCounts(db: Kysely<ServerSchema>): Promise<void> {
  await sql`DELETE FROM client_streak_counts`.execute(db);
  await sql`INSERT INTO client_streak_counts (streak, clients) SELECT failure_streak, COUNT(*) FROM clients WHERE failure_streak > 0 GROUP BY failure_streak`.execute(db);
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

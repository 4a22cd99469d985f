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
export async function keepClientStatuses(trx: Kysely<ServerSchema>, changes: StatusChanges): Promise<void> {
  if (changes.attempts.length === 0 && changes.voidedClients.length === 0) return;
  const desk = trx as unknown as Kysely<Database>;
  const voided = [...new Set(changes.voidedClients)].sort();
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    // The UPDATE's own locks follow its plan's order; this takes them in code order first. NO KEY
    // UPDATE, the lock the UPDATE takes anyway. SQLite runs one writer at a time.
    const all = [...new Set([...changes.attempts.map((a) => a.clientCode), ...voided])].sort();
    for (let i = 0; i < all.length; i += 1000) {
      await trx.selectFrom('clients').select('code').where('code', 'in', all.slice(i, i + 1000)).orderBy('code').forNoKeyUpdate().execute();
    }
  }
  await applyNewAttempts(desk, changes.attempts as AttemptRecord[], { recount: failureStreak });
  // A void can move the status backwards: recomputed from the history, as the desk does.
  for (const code of voided) await recomputeClientStatus(desk, code);
  await refreshFailureStreaks(trx, voided);
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

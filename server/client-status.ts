// Each client's synthetic status on the server, kept in the push's transaction by the desk's own
// code (db/status.ts, the rule of contract/status-rule.ts): the server's clients, attempts and voids
// tables carry the same column names as the desk's, so one implementation serves both. The server
// adds one figure of its own: the failures in a row at the head of the history (the dashboard's
// "last N attempts all failed").

import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { AttemptRecord } from '../contract/records.ts';
import type { Database } from '../db/schema.ts';
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
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    // Concurrent pushes touching the same clients lock them in one order (by code), so that they
    // queue instead of deadlocking; SQLite runs one writer at a time anyway. NO KEY UPDATE, the
    // lock the status UPDATE takes anyway: it does not conflict with KEY SHARE locks (a foreign key
    // check from a server migrated before 0007 dropped the attempts→clients key).
    const all = [...new Set([...touched, ...voidedClients])].sort();
    for (const part of chunk(all, 500)) await trx.selectFrom('clients').select('code').where('code', 'in', part).orderBy('code').forNoKeyUpdate().execute();
  }
  await applyNewAttempts(desk, fresh);
  // A void can move the status backwards: recomputed from the history, as the desk does.
  for (const code of voidedClients) {
    touched.add(code);
    await recomputeClientStatus(desk, code);
  }
  await refreshFailureStreaks(trx, [...touched]);
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

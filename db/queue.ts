// "Client suivant": who to call next, from the queue the agent sees, in this order:
//   1. call-backs due now or overdue that this agent may take (its own, the team's, handed over),
//      the earliest due first;
//   2. clients never attempted, in name order;
//   3. failures whose retry time has come, the one tried longest ago first. The retry rule is the
//      last attempt's reason's (the site's list, else the defaults): "Pas de réponse" again after
//      2 h while the client has had fewer than 5 attempts; a reason that stops ("Faux numéro")
//      takes the client out of the queue. A failure without a reason is tried like "Pas de réponse".
// Step 3 reads what the client rows keep (migration 0013: retry_wait_min, retry_at, kept by triggers
// in the transaction that moves the last attempt or gives its reason): one index range per distinct
// wait, each stopping at its first row, so the answer costs the same whether many, few or no
// failures are due (bench line next_client, 100,000 clients).

import { sql, type Kysely } from 'kysely';
import { defaultFailureRetry, type NextClient, type ReasonDefinition } from '../contract/index.ts';
import { dueCallbackClients, loadHandoverMinutes } from './callbacks.ts';
import type { Database, QueueRuleTable } from './schema.ts';
import { getMeta, setMeta } from './settings.ts';
import { writeTransaction } from './tx.ts';

/** The rules as the triggers read them: each failure reason's, and '' for the rest. */
export function queueRules(reasons: readonly ReasonDefinition[]): QueueRuleTable[] {
  const fallback = defaultFailureRetry.kind === 'again' ? defaultFailureRetry : { afterMinutes: 120, maxAttempts: 5 };
  const rows: QueueRuleTable[] = [{ reason_code: '', wait_min: fallback.afterMinutes, max_attempts: fallback.maxAttempts }];
  for (const r of reasons) {
    // A success reason on a failure, or a code given twice: the first failure rule, else the fallback.
    if (r.status !== 'failure' || r.code === '' || rows.some((row) => row.reason_code === r.code)) continue;
    rows.push(r.retry.kind === 'again' ? { reason_code: r.code, wait_min: r.retry.afterMinutes, max_attempts: r.retry.maxAttempts } : { reason_code: r.code, wait_min: null, max_attempts: null });
  }
  return rows.sort((a, b) => (a.reason_code < b.reason_code ? -1 : 1));
}

const same = (a: QueueRuleTable[], b: QueueRuleTable[]) =>
  a.length === b.length && a.every((r, i) => r.reason_code === b[i]!.reason_code && r.wait_min === b[i]!.wait_min && r.max_attempts === b[i]!.max_attempts);

/**
 * Meta key of a recompute under way: the clients up to this rowid follow the new rules, those after
 * it are still to be done. Kept in the base, so a recompute cut by a kill or a quit goes on at the
 * next start instead of leaving clients under the old rules.
 */
const recomputeKey = 'queue_recompute_after';

/**
 * Clients per transaction when the rules change. One transaction for the whole base held the write
 * lock 0.2–0.3 s at 100,000 clients (bench line next_client_rules_change), seconds at a million:
 * clicks, and the other thread's connection, waited that long. A chunk is a few milliseconds, and
 * what is waiting runs between two.
 */
export const recomputeChunk = 2000;

/**
 * Makes queue_rules the list's and, when it changed (a new site list, a first start after migration
 * 0013), recomputes every client that is or was in the retry queue, through the same trigger, in
 * chunks (finishRecompute). Returns the waits to look at. Cheap when nothing changed: a dozen rows read.
 */
export async function syncQueueRules(db: Kysely<Database>, reasons: readonly ReasonDefinition[], chunk = recomputeChunk): Promise<number[]> {
  const wanted = queueRules(reasons);
  const stored = await db.selectFrom('queue_rules').selectAll().orderBy('reason_code').execute();
  if (!same(stored, wanted)) {
    await writeTransaction(db, async (trx) => {
      await trx.deleteFrom('queue_rules').execute();
      await trx.insertInto('queue_rules').values(wanted).execute();
      // From the first client again, also when an earlier recompute was still under way.
      await setMeta(trx, { [recomputeKey]: '0' });
    });
  }
  await finishRecompute(db, chunk);
  return [...new Set(wanted.flatMap((r) => (r.wait_min === null ? [] : [r.wait_min])))];
}

/**
 * One chunk of a recompute under way, in its own transaction: the next `chunk` clients in the queue
 * (or that were in it) after the mark are touched, so the trigger sets their retry time by the rules
 * now stored, and the mark moves past them. Returns false when nothing is left (the mark is gone).
 * Two threads may run it at once (a pull in the sync worker, "Client suivant" in the database
 * worker): each chunk reads the mark in its write transaction, so they share the work.
 */
export async function recomputeStep(db: Kysely<Database>, chunk = recomputeChunk): Promise<boolean> {
  return writeTransaction(db, async (trx) => {
    const mark = await getMeta(trx, recomputeKey);
    if (mark === null) return false;
    const touched = await sql<{ id: number }>`
      UPDATE clients SET attempt_count = attempt_count
      WHERE rowid IN (
        SELECT rowid FROM clients WHERE rowid > ${Number(mark)} AND (last_status = 'failure' OR retry_at IS NOT NULL) ORDER BY rowid LIMIT ${chunk}
      )
      RETURNING rowid AS id`.execute(trx);
    if (touched.rows.length === 0) {
      await setMeta(trx, { [recomputeKey]: null });
      return false;
    }
    await setMeta(trx, { [recomputeKey]: String(Math.max(...touched.rows.map((r) => r.id))) });
    return true;
  });
}

/** Runs the chunks of a recompute under way to its end, letting what waits (a click) in between. */
export async function finishRecompute(db: Kysely<Database>, chunk = recomputeChunk): Promise<void> {
  // Read first: "Client suivant" asks at every press, and nothing under way must not take the write lock.
  if ((await getMeta(db, recomputeKey)) === null) return;
  while (await recomputeStep(db, chunk)) await new Promise((resolve) => setImmediate(resolve));
}

export async function nextClient(
  db: Kysely<Database>,
  input: { agentIds: readonly string[]; now: Date; reasons: readonly ReasonDefinition[]; exclude: readonly string[] },
): Promise<NextClient | null> {
  const exclude = input.exclude.length > 0 ? [...input.exclude] : [''];
  const waits = await syncQueueRules(db, input.reasons);
  const callback = await dueCallbackClients(db, input.agentIds, input.now, await loadHandoverMinutes(db))
    .where('client_code', 'not in', exclude)
    .limit(1)
    .executeTakeFirst();
  if (callback) return { code: callback.client_code, why: 'callback', dueAt: callback.due_at };

  const never = await db
    .selectFrom('clients')
    .select('code')
    .where('last_status', 'is', null)
    .where('code', 'not in', exclude)
    .orderBy('name_key')
    .orderBy('code')
    .limit(1)
    .executeTakeFirst();
  if (never) return { code: never.code, why: 'never', dueAt: null };

  // Within one wait, due order is last-attempt order; across waits, the one tried longest ago wins.
  const now = input.now.toISOString();
  let best: { code: string; last_attempt_at: string; retry_at: string } | null = null;
  for (const wait of waits) {
    const first = await db
      .selectFrom('clients')
      .select(['code', 'last_attempt_at', 'retry_at'])
      .where('retry_wait_min', '=', wait)
      .where('retry_at', 'is not', null)
      .where('retry_at', '<=', now)
      .where('code', 'not in', exclude)
      .orderBy('retry_wait_min')
      .orderBy('retry_at')
      .orderBy('code')
      .limit(1)
      .executeTakeFirst();
    if (!first || first.last_attempt_at === null || first.retry_at === null) continue;
    const candidate = { code: first.code, last_attempt_at: first.last_attempt_at, retry_at: first.retry_at };
    if (!best || candidate.last_attempt_at < best.last_attempt_at || (candidate.last_attempt_at === best.last_attempt_at && candidate.code < best.code)) best = candidate;
  }
  return best ? { code: best.code, why: 'retry', dueAt: best.retry_at } : null;
}

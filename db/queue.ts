// "Client suivant": who to call next, from the queue the agent sees, in this order:
//   1. call-backs due now or overdue that this agent may take (its own, the team's, handed over),
//      the earliest due first;
//   2. clients never attempted, in name order;
//   3. failures whose retry time has come, the one tried longest ago first. The retry rule is the
//      last attempt's reason's (the site's list, else the defaults): "Pas de réponse" again after
//      2 h while the client has had fewer than 5 attempts; a reason that stops ("Faux numéro")
//      takes the client out of the queue. A failure without a reason is tried like "Pas de réponse".
// Each step is one indexed query that stops at its first row, so the answer does not grow with the
// base (bench line next_client, 100,000 clients).

import { sql, type Kysely } from 'kysely';
import { defaultFailureRetry, type NextClient, type ReasonDefinition } from '../contract/index.ts';
import { dueCallbackClients, loadHandoverMinutes } from './callbacks.ts';
import type { Database } from './schema.ts';

/** Failures looked at per press, oldest first, before the queue says there is nobody left. */
const failureScan = 2000;

export async function nextClient(
  db: Kysely<Database>,
  input: { agentIds: readonly string[]; now: Date; reasons: readonly ReasonDefinition[]; exclude: readonly string[] },
): Promise<NextClient | null> {
  const exclude = input.exclude.length > 0 ? [...input.exclude] : [''];
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

  // The rule of each reason as SQL: minutes to wait and attempts allowed, or out of the queue.
  const rules = input.reasons.filter((r) => r.status === 'failure');
  const again = rules.flatMap((r) => (r.retry.kind === 'again' ? [{ code: r.code, minutes: r.retry.afterMinutes, max: r.retry.maxAttempts }] : []));
  const stops = rules.filter((r) => r.retry.kind === 'stop').map((r) => r.code);
  const fallback = defaultFailureRetry.kind === 'again' ? defaultFailureRetry : { afterMinutes: 120, maxAttempts: 5 };
  const byReason = (value: (r: (typeof again)[number]) => number, otherwise: number) =>
    again.length === 0
      ? sql<number>`${otherwise}`
      : sql<number>`CASE attempt_reasons.code ${sql.join(
          again.map((r) => sql`WHEN ${r.code} THEN ${value(r)}`),
          sql` `,
        )} ELSE ${otherwise} END`;
  const minutes = byReason((r) => r.minutes, fallback.afterMinutes);
  const maxAttempts = byReason((r) => r.max, fallback.maxAttempts);
  const failure = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('clients')
        .select(['code', 'last_attempt_at', 'last_attempt_id', 'attempt_count'])
        .where('last_status', '=', 'failure')
        .where('code', 'not in', exclude)
        .orderBy('last_status')
        .orderBy('last_attempt_at')
        .orderBy('code')
        .limit(failureScan)
        .as('oldest'),
    )
    .leftJoin('attempt_reasons', 'attempt_reasons.attempt_id', 'oldest.last_attempt_id')
    .select(['oldest.code', 'oldest.last_attempt_at', sql<number>`${minutes}`.as('minutes')])
    .where((eb) => (stops.length > 0 ? eb.or([eb('attempt_reasons.code', 'is', null), eb('attempt_reasons.code', 'not in', stops)]) : eb.lit(true)))
    .where(sql<boolean>`oldest.attempt_count < ${maxAttempts}`)
    .where(sql<boolean>`(julianday(${input.now.toISOString()}) - julianday(oldest.last_attempt_at)) * 1440 >= ${minutes}`)
    .limit(1)
    .executeTakeFirst();
  if (failure && failure.last_attempt_at) {
    return { code: failure.code, why: 'retry', dueAt: new Date(Date.parse(failure.last_attempt_at) + failure.minutes * 60_000).toISOString() };
  }
  return null;
}

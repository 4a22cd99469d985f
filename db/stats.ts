// Today's figures for the agent at this workstation: what the status bar shows.

import { sql, type Kysely } from 'kysely';
import type { TodayCounts } from '../contract/index.ts';
import type { Database } from './schema.ts';

/** Local midnight to local midnight, as UTC instants: "today" is the agent's day, not UTC's. */
export function localDayBounds(at: Date): { from: string; to: string } {
  const start = new Date(at.getFullYear(), at.getMonth(), at.getDate());
  const end = new Date(at.getFullYear(), at.getMonth(), at.getDate() + 1);
  return { from: start.toISOString(), to: end.toISOString() };
}

export async function todayCounts(db: Kysely<Database>, agentIds: string[], at: Date): Promise<TodayCounts> {
  if (agentIds.length === 0) return { attempts: 0, successes: 0, failures: 0, byReason: [] };
  const { from, to } = localDayBounds(at);
  const row = await db
    .selectFrom('attempts')
    .select([
      (eb) => eb.fn.countAll<number>().as('attempts'),
      sql<number>`coalesce(sum(status = 'success'), 0)`.as('successes'),
      sql<number>`coalesce(sum(status = 'failure'), 0)`.as('failures'),
    ])
    .where('agent_id', 'in', agentIds)
    .where('occurred_at', '>=', from)
    .where('occurred_at', '<', to)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('voids').select(sql`1`.as('one')).whereRef('voids.attempt_id', '=', 'attempts.id'))),
    )
    .executeTakeFirstOrThrow();
  const reasons = await db
    .selectFrom('attempt_reasons')
    .innerJoin('attempts', 'attempts.id', 'attempt_reasons.attempt_id')
    .select(['attempt_reasons.code as code', (eb) => eb.fn.countAll<number>().as('n')])
    .where('attempts.agent_id', 'in', agentIds)
    .where('attempts.occurred_at', '>=', from)
    .where('attempts.occurred_at', '<', to)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('voids').select(sql`1`.as('one')).whereRef('voids.attempt_id', '=', 'attempts.id'))),
    )
    .groupBy('attempt_reasons.code')
    .orderBy('n', 'desc')
    .orderBy('code')
    .execute();
  return {
    attempts: Number(row.attempts),
    successes: Number(row.successes),
    failures: Number(row.failures),
    byReason: reasons.map((r) => ({ code: r.code, count: Number(r.n) })),
  };
}

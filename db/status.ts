// The synthetic status of a client: its latest non-voided attempt by time of the attempt, ties
// broken by id. Kept on the client row so that lists and filters never have to compute it.

import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

interface Latest {
  id: string;
  occurred_at: string;
}

/** True when `a` comes after `b` in status order. */
export function isLater(a: Latest, b: Latest): boolean {
  return a.occurred_at > b.occurred_at || (a.occurred_at === b.occurred_at && a.id > b.id);
}

/**
 * Fast path for a new attempt: it can only move the status forward, and only if it is later than
 * the current one. An older attempt arriving late (sync) just adds to the count.
 */
export async function applyNewAttempt(
  trx: Kysely<Database>,
  attempt: { id: string; client_code: string; occurred_at: string; status: 'success' | 'failure'; agent_id: string; agent_name: string },
): Promise<void> {
  const current = await trx
    .selectFrom('clients')
    .select(['last_attempt_id', 'last_attempt_at'])
    .where('code', '=', attempt.client_code)
    .executeTakeFirstOrThrow();
  const later =
    current.last_attempt_id === null ||
    current.last_attempt_at === null ||
    isLater(attempt, { id: current.last_attempt_id, occurred_at: current.last_attempt_at });
  await trx
    .updateTable('clients')
    .set((eb) => ({
      attempt_count: eb('attempt_count', '+', 1),
      ...(later
        ? {
            last_status: attempt.status,
            last_attempt_at: attempt.occurred_at,
            last_attempt_id: attempt.id,
            last_agent_id: attempt.agent_id,
            last_agent_name: attempt.agent_name,
          }
        : {}),
    }))
    .where('code', '=', attempt.client_code)
    .execute();
}

/** Full recomputation from the history: after a void, or whenever the fast path cannot tell. */
export async function recomputeClientStatus(trx: Kysely<Database>, clientCode: string): Promise<void> {
  const latest = await trx
    .selectFrom('attempts')
    .select(['id', 'occurred_at', 'status', 'agent_id', 'agent_name'])
    .where('client_code', '=', clientCode)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('voids').select(sql`1`.as('one')).whereRef('voids.attempt_id', '=', 'attempts.id'))),
    )
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const counted = await trx
    .selectFrom('attempts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('client_code', '=', clientCode)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('voids').select(sql`1`.as('one')).whereRef('voids.attempt_id', '=', 'attempts.id'))),
    )
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('clients')
    .set({
      last_status: latest?.status ?? null,
      last_attempt_at: latest?.occurred_at ?? null,
      last_attempt_id: latest?.id ?? null,
      last_agent_id: latest?.agent_id ?? null,
      last_agent_name: latest?.agent_name ?? null,
      attempt_count: Number(counted.n),
    })
    .where('code', '=', clientCode)
    .execute();
}

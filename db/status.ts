// The synthetic status of a client: its latest non-voided attempt by time of the attempt, ties
// broken by id. Kept on the client row so that lists and filters never have to compute it.

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AttemptRecord } from '../contract/index.ts';
import { isLater } from '../contract/status-rule.ts';
import type { Database } from './schema.ts';

export { isLater } from '../contract/status-rule.ts';

/**
 * Moves each client's status to the latest of its newly inserted attempts, if that is later than
 * the current one; an older attempt arriving late (sync) only adds to the count. One statement per
 * chunk of clients, whether the attempts are one click or a pulled page. New attempts cannot be
 * voided yet (a void references its attempt), so the latest new one is the only candidate.
 */
export async function applyNewAttempts(trx: Kysely<Database>, inserted: readonly AttemptRecord[], streak?: FailureStreakOptions): Promise<void> {
  const perClient = new Map<string, { n: number; latest: AttemptRecord; attempts: AttemptRecord[] }>();
  for (const r of inserted) {
    const entry = perClient.get(r.clientCode);
    if (!entry) perClient.set(r.clientCode, { n: 1, latest: r, attempts: [r] });
    else {
      entry.n += 1;
      entry.attempts.push(r);
      if (isLater(ruleKey(r), ruleKey(entry.latest))) entry.latest = r;
    }
  }
  // A stable order (by code): the rows are locked in it, whatever the caller's order.
  const entries = [...perClient.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < entries.length; i += 1000) {
    const part = entries.slice(i, i + 1000);
    if (streak) {
      await updateWithStreaks(trx, part, streak);
      continue;
    }
    const values = sql.join(
      part
        // The cast: PostgreSQL (the server keeps statuses with this code too) reads an untyped
        // parameter in VALUES as text; SQLite ignores it.
        .map(([code, { n, latest }]) => sql`(${code}, CAST(${n} AS INTEGER), ${latest.id}, ${latest.occurredAt}, ${latest.status}, ${latest.agentId}, ${latest.agentName})`),
    );
    await sql`
      WITH v(code, n, id, occurred_at, status, agent_id, agent_name) AS (VALUES ${values})
      UPDATE clients SET ${statusColumns}
      FROM v WHERE clients.code = v.code`.execute(trx);
  }
}

/**
 * v's attempt is later than the client's status. Every SET reads the row as it was, so "later than
 * the current status" is judged against the status before these attempts.
 */
const later = sql`(clients.last_attempt_id IS NULL OR clients.last_attempt_at IS NULL
      OR v.occurred_at > clients.last_attempt_at
      OR (v.occurred_at = clients.last_attempt_at AND v.id > clients.last_attempt_id))`;

/** The count, and the status moved to v's attempt when it is later: the SET of both UPDATEs below. */
const statusColumns = sql`
        attempt_count = clients.attempt_count + v.n,
        last_status = CASE WHEN ${later} THEN v.status ELSE clients.last_status END,
        last_attempt_at = CASE WHEN ${later} THEN v.occurred_at ELSE clients.last_attempt_at END,
        last_attempt_id = CASE WHEN ${later} THEN v.id ELSE clients.last_attempt_id END,
        last_agent_id = CASE WHEN ${later} THEN v.agent_id ELSE clients.last_agent_id END,
        last_agent_name = CASE WHEN ${later} THEN v.agent_name ELSE clients.last_agent_name END`;

/**
 * The server's figure of its own (the desk has no such column): the failures in a row at the head of
 * the history, kept in the same UPDATE as the status, so a push writes each client row once.
 */
export interface FailureStreakOptions {
  /** SQL counting a client's failures in a row from its history (for `clients.code`): used only when
   * the new attempts do not all come after the stored status (a late arrival). */
  recount: RawBuilder<unknown>;
}

type ClientEntry = [string, { n: number; latest: AttemptRecord; attempts: AttemptRecord[] }];

async function updateWithStreaks(trx: Kysely<Database>, part: ClientEntry[], streak: FailureStreakOptions): Promise<void> {
  const values = sql.join(
    part.map(([code, { n, latest, attempts }]) => {
      const ordered = [...attempts].sort((x, y) => (isLater(ruleKey(x), ruleKey(y)) ? 1 : isLater(ruleKey(y), ruleKey(x)) ? -1 : 0));
      const first = ordered[0]!;
      // Failures after the last new success; reset: a new success ends whatever streak was stored.
      let tail = 0;
      let reset = 0;
      for (const a of ordered) {
        if (a.status === 'failure') tail += 1;
        else {
          tail = 0;
          reset = 1;
        }
      }
      return sql`(${code}, CAST(${n} AS INTEGER), ${latest.id}, ${latest.occurredAt}, ${latest.status}, ${latest.agentId}, ${latest.agentName}, ${first.id}, ${first.occurredAt}, CAST(${tail} AS INTEGER), CAST(${reset} AS INTEGER))`;
    }),
  );
  // All new attempts after the stored status (judged on the row as it was): the stored streak is
  // carried on. Otherwise (an attempt arriving late) it is counted again from the history, which
  // this transaction's inserts are already part of.
  const carried = sql`(clients.last_attempt_id IS NULL OR clients.last_attempt_at IS NULL
      OR v.first_at > clients.last_attempt_at
      OR (v.first_at = clients.last_attempt_at AND v.first_id > clients.last_attempt_id))`;
  await sql`
    WITH v(code, n, id, occurred_at, status, agent_id, agent_name, first_id, first_at, tail, reset) AS (VALUES ${values})
    UPDATE clients SET ${statusColumns},
      failure_streak = CASE
        WHEN ${carried} THEN CASE WHEN v.reset = 1 THEN v.tail
          ELSE (CASE WHEN clients.last_attempt_id IS NULL THEN 0 ELSE clients.failure_streak END) + v.tail END
        ELSE ${streak.recount} END
    FROM v WHERE clients.code = v.code`.execute(trx);
}

/** An attempt as the status rule compares them. */
const ruleKey = (a: AttemptRecord) => ({ id: a.id, occurred_at: a.occurredAt });

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

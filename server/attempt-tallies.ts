// The dashboard's tallies: non-voided attempts counted per UTC hour × agent × status and per UTC
// hour × channel × status, kept in the push's transaction (+1 for each attempt it stored, −1 for each
// attempt it voided), so that a day or a month of the console's dashboard sums a few thousand rows
// instead of counting hundreds of thousands of attempts.
//
// Why UTC hours rather than days of the console's time zone: a bucket of one UTC hour lies inside one
// local day and one local hour of every zone whose offset is whole hours (all of Europe and Africa),
// whatever the zone setting is now or is changed to, so nothing is rebuilt when it changes. A period
// whose bounds fall inside an hour (a zone at +05:30) counts those edge minutes from the attempts
// (server/console/pages/dashboard.ts).
//
// Exactly once: only what the push really inserted is counted (attempts ON CONFLICT DO NOTHING …
// RETURNING, voids likewise), so a re-sent batch (duplicates) changes nothing. Called after the
// change counter (push.ts): every push of the same hour wants the same channel rows; holding the
// counter, a push never waits on them, and the keys are written in one sorted order anyway.

import { sql, type Kysely } from 'kysely';
import type { ServerSchema } from './storage/schema.ts';

export interface TalliedAttempt {
  occurred_at: string;
  agent_id: string;
  agent_name: string;
  channel: string;
  status: string;
}

/** The bucket of an attempt: its UTC hour, "2026-11-25T08" (occurred_at is ISO 8601 in UTC). */
export const tallyHour = (occurredAt: string): string => occurredAt.slice(0, 13);

const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

const chunk = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** sign 1: attempts stored by this transaction; −1: attempts it voided. */
export async function tallyAttempts(trx: Kysely<ServerSchema>, rows: readonly TalliedAttempt[], sign: 1 | -1): Promise<void> {
  if (rows.length === 0) return;
  const agents = new Map<string, { key: string; hour: string; agentId: string; agentName: string; status: string; n: number }>();
  const channels = new Map<string, { key: string; hour: string; channel: string; status: string; n: number }>();
  for (const r of rows) {
    const hour = tallyHour(r.occurred_at);
    const agentKey = JSON.stringify([hour, r.agent_id, r.agent_name, r.status]);
    const a = agents.get(agentKey) ?? { key: agentKey, hour, agentId: r.agent_id, agentName: r.agent_name, status: r.status, n: 0 };
    a.n += sign;
    agents.set(agentKey, a);
    const channelKey = JSON.stringify([hour, r.channel, r.status]);
    const c = channels.get(channelKey) ?? { key: channelKey, hour, channel: r.channel, status: r.status, n: 0 };
    c.n += sign;
    channels.set(channelKey, c);
  }
  for (const part of chunk([...agents.values()].sort(byKey), 1000)) {
    await trx
      .insertInto('attempt_tally_agents')
      .values(part.map((a) => ({ hour: a.hour, agent_id: a.agentId, agent_name: a.agentName, status: a.status, n: a.n })))
      .onConflict((oc) => oc.columns(['hour', 'agent_id', 'agent_name', 'status']).doUpdateSet({ n: sql`attempt_tally_agents.n + excluded.n` }))
      .execute();
  }
  for (const part of chunk([...channels.values()].sort(byKey), 1000)) {
    await trx
      .insertInto('attempt_tally_channels')
      .values(part.map((c) => ({ hour: c.hour, channel: c.channel, status: c.status, n: c.n })))
      .onConflict((oc) => oc.columns(['hour', 'channel', 'status']).doUpdateSet({ n: sql`attempt_tally_channels.n + excluded.n` }))
      .execute();
  }
}

/** Both tallies from the whole history (the migration that adds them, on a server that has data). */
export async function rebuildAttemptTallies(db: Kysely<ServerSchema>): Promise<void> {
  await sql`DELETE FROM attempt_tally_agents`.execute(db);
  await sql`DELETE FROM attempt_tally_channels`.execute(db);
  const live = sql`NOT EXISTS (SELECT 1 FROM voids WHERE voids.attempt_id = attempts.id)`;
  await sql`INSERT INTO attempt_tally_agents (hour, agent_id, agent_name, status, n)
    SELECT substr(occurred_at, 1, 13), agent_id, agent_name, status, COUNT(*) FROM attempts WHERE ${live}
    GROUP BY substr(occurred_at, 1, 13), agent_id, agent_name, status`.execute(db);
  await sql`INSERT INTO attempt_tally_channels (hour, channel, status, n)
    SELECT substr(occurred_at, 1, 13), channel, status, COUNT(*) FROM attempts WHERE ${live}
    GROUP BY substr(occurred_at, 1, 13), channel, status`.execute(db);
}

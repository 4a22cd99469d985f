// Sign-in throttling, kept in the database so that every instance counts the same failures. The
// console's: five failures for one login (or thirty from one address) within fifteen minutes block
// further tries for fifteen minutes; a success clears the login's count. The desks' agent sign-in
// (server/sign-in.ts) counts its failures here too, under its own keys and limits.

import { sql, type Kysely } from 'kysely';
import type { ServerSchema } from '../storage/schema.ts';

export const throttleRules = {
  windowMs: 15 * 60_000,
  blockMs: 15 * 60_000,
  perLogin: 5,
  perAddress: 30,
};

export function throttleKeys(login: string, address: string): { login: string; address: string } {
  return { login: `login:${login}`, address: `ip:${address}` };
}

/** The time until which sign-in is refused for any of these keys, or null. */
export async function blockedUntil(db: Kysely<ServerSchema>, keys: string[], now: Date): Promise<Date | null> {
  const rows = await db.selectFrom('console_throttle').select('blocked_until').where('key', 'in', keys).execute();
  const until = rows
    .map((r) => (r.blocked_until ? Date.parse(r.blocked_until) : 0))
    .filter((t) => t > now.getTime())
    .sort((a, b) => b - a)[0];
  return until === undefined ? null : new Date(until);
}

export async function recordFailure(
  db: Kysely<ServerSchema>,
  key: string,
  limit: number,
  now: Date,
  periods: { windowMs: number; blockMs: number } = throttleRules,
): Promise<void> {
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - periods.windowMs).toISOString();
  const blockUntil = new Date(now.getTime() + periods.blockMs).toISOString();
  // One statement, so two instances counting the same failure at once both count it.
  await sql`
    INSERT INTO console_throttle (key, failures, window_start, blocked_until) VALUES (${key}, 1, ${at}, NULL)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN console_throttle.window_start < ${windowStart} THEN 1 ELSE console_throttle.failures + 1 END,
      window_start = CASE WHEN console_throttle.window_start < ${windowStart} THEN ${at} ELSE console_throttle.window_start END,
      blocked_until = CASE
        WHEN console_throttle.window_start >= ${windowStart} AND console_throttle.failures + 1 >= ${limit} THEN ${blockUntil}
        ELSE console_throttle.blocked_until END`.execute(db);
}

export async function clearFailures(db: Kysely<ServerSchema>, key: string): Promise<void> {
  await db.deleteFrom('console_throttle').where('key', '=', key).execute();
}

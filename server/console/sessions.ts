// Console sessions: a random value in an HttpOnly, SameSite=Strict cookie (Secure over TLS), kept in
// the database as its sha256 so that every instance knows it and a copy of the table opens nothing.
// A session ends on sign-out, after two idle hours, or twelve hours after sign-in, whichever comes first.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ConsoleRole } from '../../contract/enums.ts';
import type { ServerSchema } from '../storage/schema.ts';

export const sessionCookie = 'desk_console';
export const sessionLimits = { idleMs: 2 * 3600_000, absoluteMs: 12 * 3600_000 };
/** last_seen_at is written at most once a minute per session. */
const touchResolutionMs = 60_000;

export interface ConsoleSession {
  idHash: string;
  userId: string;
  login: string;
  role: ConsoleRole;
  csrf: string;
}

function hashSessionValue(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Opens a session; returns the cookie's value (the only place it exists in clear). */
export async function openSession(db: Kysely<ServerSchema>, userId: string, now: Date): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  await db
    .insertInto('console_sessions')
    .values({
      id_hash: hashSessionValue(value),
      user_id: userId,
      csrf: randomBytes(24).toString('base64url'),
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + sessionLimits.absoluteMs).toISOString(),
    })
    .execute();
  return value;
}

/**
 * The live session behind a cookie value, or null (unknown, expired, idle too long, user disabled).
 * touch false: a request the page makes by itself (the live journal's polling) does not count as
 * activity, so an unattended open journal still ends after the idle time.
 */
export async function findSession(db: Kysely<ServerSchema>, value: string | undefined, now: Date, { touch = true }: { touch?: boolean } = {}): Promise<ConsoleSession | null> {
  if (!value || value.length > 100) return null;
  const idHash = hashSessionValue(value);
  const row = await db
    .selectFrom('console_sessions')
    .innerJoin('console_users', 'console_users.id', 'console_sessions.user_id')
    .select(['console_sessions.id_hash', 'console_sessions.csrf', 'console_sessions.last_seen_at', 'console_sessions.expires_at', 'console_users.id', 'console_users.login', 'console_users.role', 'console_users.disabled_at'])
    .where('console_sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return null;
  const at = now.getTime();
  if (row.disabled_at !== null || Date.parse(row.expires_at) <= at || at - Date.parse(row.last_seen_at) > sessionLimits.idleMs) {
    await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
    return null;
  }
  if (touch && at - Date.parse(row.last_seen_at) > touchResolutionMs) {
    await db.updateTable('console_sessions').set({ last_seen_at: now.toISOString() }).where('id_hash', '=', idHash).execute();
  }
  return { idHash, userId: row.id, login: row.login, role: row.role, csrf: row.csrf };
}

export async function closeSession(db: Kysely<ServerSchema>, idHash: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
}

export function csrfMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

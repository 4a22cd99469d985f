// Who is at the keyboard of a shared workstation: local agent profiles, each with a PIN kept as a
// scrypt verifier (never the PIN), one signed-in profile at a time, and a journal of sign-ins,
// sign-outs, locks and failed sign-ins. The signed-in profile is copied into the meta keys
// agent_id / agent_name / agent_former_ids, which is what attempts are signed with (db/settings.ts):
// a new name is a new profile with a new id, and a profile can only be renamed while signed in, so
// one agent can no longer become another by a rename.

import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DeskError, type AgentEventKind } from '../contract/index.ts';
import type { AgentProfileView, AgentSession, ServerSignInView } from '../contract/model.ts';
import { uuidv7 } from './ids.ts';
import type { Database } from './schema.ts';
import { getMeta, readMeta, setMeta, settingsFromMeta } from './settings.ts';
import { writeTransaction } from './tx.ts';

// N = 2^14, r = 8: about 50 ms on a desk, 16 MiB of memory. A PIN has few possible values, so the
// verifier alone would not resist a stolen database for long: the throttle below and the disk's own
// protection do the rest; the cost only keeps a copied base from being read at once.
const scryptParams = { N: 16_384, r: 8, p: 1 } as const;
const keyLength = 32;

function scrypt(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 64 * 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCallback(secret.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$key`, both in base64: the parameters travel with it, so they can grow later. */
export async function pinVerifier(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(pin, salt, scryptParams);
  return ['scrypt', scryptParams.N, scryptParams.r, scryptParams.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function pinMatches(pin: string, verifier: string): Promise<boolean> {
  const parts = verifier.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scrypt(pin, Buffer.from(parts[4]!, 'base64'), { N, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Wrong PINs in a row before the profile waits, then the wait doubles with each one, up to the cap. */
export const pinThrottle = { freeTries: 5, firstWaitMs: 30_000, maxWaitMs: 15 * 60_000 } as const;

export function waitAfter(failures: number): number {
  if (failures < pinThrottle.freeTries) return 0;
  return Math.min(pinThrottle.maxWaitMs, pinThrottle.firstWaitMs * 2 ** (failures - pinThrottle.freeTries));
}

export const lockedKey = 'session_locked';
const lockAfterKey = 'lock_after_minutes';
/** When no policy or setting says otherwise. */
export const defaultLockAfterMinutes = 15;

/**
 * One line of the desk's journal, pushed later to servers that take 'record.agentEvent' (sync/engine.ts).
 * `login` is what was typed at a server sign-in; `offline` says the desk decided alone.
 */
export async function journal(
  trx: Kysely<Database>,
  kind: AgentEventKind,
  agent: { id: string | null; name: string },
  at: Date,
  extra: { login?: string | null; offline?: boolean } = {},
): Promise<void> {
  await trx
    .insertInto('agent_events')
    .values({ id: uuidv7(), at: at.toISOString(), kind, agent_id: agent.id, agent_name: agent.name, login: extra.login ?? null, offline: extra.offline ? 1 : 0 })
    .execute();
}

function parseIds(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The profile becomes the one attempts are signed with. The same agent coming back to their locked
 * session is an unlock, anyone else a sign-in (the locked agent is signed out first, journalled).
 */
export async function enter(
  trx: Kysely<Database>,
  profile: { id: string; name: string; former_ids: string },
  at: Date,
  extra: { login?: string | null; offline?: boolean } = {},
): Promise<void> {
  const meta = await readMeta(trx);
  const { agent } = settingsFromMeta(meta);
  const unlocking = meta.get(lockedKey) === 'true' && agent?.id === profile.id;
  if (agent && !unlocking && agent.id !== profile.id) await journal(trx, 'signOut', agent, at);
  await setMeta(trx, { agent_id: profile.id, agent_name: profile.name, agent_former_ids: profile.former_ids, [lockedKey]: null });
  await journal(trx, unlocking ? 'unlock' : 'signIn', profile, at, extra);
}

async function nameTaken(trx: Kysely<Database>, name: string, exceptId: string | null): Promise<boolean> {
  let query = trx.selectFrom('agent_profiles').select('id').where('name', '=', name);
  if (exceptId) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function agentSession(db: Kysely<Database>): Promise<AgentSession> {
  const rows = await db.selectFrom('agent_profiles').select(['id', 'name', 'pin_verifier']).orderBy('name').execute();
  const profiles: AgentProfileView[] = rows.map((r) => ({ id: r.id, name: r.name, hasPin: r.pin_verifier !== null }));
  const meta = await readMeta(db);
  const lockAfter = Number(meta.get(lockAfterKey) ?? defaultLockAfterMinutes);
  const server = await serverSignInView(db, meta);
  return {
    profiles,
    ...(server ? { server } : {}),
    locked: meta.get(lockedKey) === 'true' && meta.has('agent_id'),
    lockAfterMinutes: Number.isInteger(lockAfter) && lockAfter >= 0 ? lockAfter : defaultLockAfterMinutes,
  };
}

/** A desk enrolled with a device code: what its sign-in screen needs (db/agent-sign-in.ts). */
async function serverSignInView(db: Kysely<Database>, meta: Map<string, string>): Promise<ServerSignInView | null> {
  if (meta.get('sync_enrolment_kind') !== 'device') return null;
  const kind = meta.get('sign_in_secret_kind');
  const days = Number(meta.get('sign_in_offline_days'));
  const rows = await db.selectFrom('agent_verifiers').select(['agent_id', 'login', 'name']).orderBy('name').execute();
  const agentId = meta.get('agent_id');
  return {
    secretKind: kind === 'password' ? 'password' : 'pin',
    offlineDays: Number.isInteger(days) && days >= 0 ? days : 0,
    agents: rows.map((r) => ({ login: r.login, name: r.name })),
    login: rows.find((r) => r.agent_id === agentId)?.login ?? null,
  };
}

/** isLocked on meta already read (the click reads meta once). */
export function lockedIn(meta: ReadonlyMap<string, string>): boolean {
  return meta.get(lockedKey) === 'true';
}

export async function isLocked(db: Kysely<Database>): Promise<boolean> {
  return (await getMeta(db, lockedKey)) === 'true';
}

export async function setLockAfterMinutes(db: Kysely<Database>, minutes: number): Promise<void> {
  await setMeta(db, { [lockAfterKey]: String(minutes) });
}

/** First run, or "Nouvel agent": a new name is a new agent, signed in at once. */
export async function createProfile(db: Kysely<Database>, input: { name: string; pin: string }, at: Date): Promise<void> {
  const verifier = await pinVerifier(input.pin);
  await writeTransaction(db, async (trx) => {
    if (await nameTaken(trx, input.name, null)) throw new DeskError('agent.nameTaken', { name: input.name });
    const profile = { id: `local:${uuidv7()}`, name: input.name, former_ids: '[]' };
    await trx.insertInto('agent_profiles').values({ ...profile, pin_verifier: verifier, created_at: at.toISOString() }).execute();
    await enter(trx, profile, at);
  });
}

/**
 * Signs a profile in with its PIN. A profile without one yet (the desk's agent before profiles, a
 * demo profile) takes the PIN given, confirmed. Wrong PINs count per profile, in the base, so
 * restarting the app does not reset the wait.
 */
export async function signIn(db: Kysely<Database>, input: { profileId: string; pin: string; confirmPin?: string | undefined }, at: Date): Promise<void> {
  const profile = await db.selectFrom('agent_profiles').selectAll().where('id', '=', input.profileId).executeTakeFirst();
  if (!profile) throw new DeskError('agent.unknown');
  if (profile.blocked_until && profile.blocked_until > at.toISOString()) {
    throw new DeskError('agent.pinThrottled', { seconds: Math.ceil((Date.parse(profile.blocked_until) - at.getTime()) / 1000) });
  }
  if (profile.pin_verifier === null) {
    if (input.confirmPin === undefined) throw new DeskError('agent.pinToChoose');
    if (input.confirmPin !== input.pin) throw new DeskError('agent.pinMismatch');
    const verifier = await pinVerifier(input.pin);
    await writeTransaction(db, async (trx) => {
      // Guarded: two windows choosing at once, the first one wins and the second must sign in.
      const set = await trx.updateTable('agent_profiles').set({ pin_verifier: verifier }).where('id', '=', profile.id).where('pin_verifier', 'is', null).executeTakeFirst();
      if (Number(set.numUpdatedRows) !== 1) throw new DeskError('agent.pinWrong');
      await enter(trx, profile, at);
    });
    return;
  }
  if (await pinMatches(input.pin, profile.pin_verifier)) {
    await writeTransaction(db, async (trx) => {
      await trx.updateTable('agent_profiles').set({ failed_sign_ins: 0, blocked_until: null }).where('id', '=', profile.id).execute();
      await enter(trx, profile, at);
    });
    return;
  }
  const failures = await writeTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('agent_profiles')
      .set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '+', 1) }))
      .where('id', '=', profile.id)
      .returning('failed_sign_ins')
      .executeTakeFirstOrThrow();
    const wait = waitAfter(row.failed_sign_ins);
    if (wait > 0) await trx.updateTable('agent_profiles').set({ blocked_until: new Date(at.getTime() + wait).toISOString() }).where('id', '=', profile.id).execute();
    await journal(trx, 'signInFailed', profile, at);
    return row.failed_sign_ins;
  });
  const wait = waitAfter(failures);
  if (wait > 0) throw new DeskError('agent.pinThrottled', { seconds: Math.ceil(wait / 1000) });
  throw new DeskError('agent.pinWrong');
}

/**
 * `npm run web -- --agent NAME` (demos, tests): that profile, made without a PIN if new, is signed
 * in without asking one. Not an operation of the bridge or of IPC: only the command line reaches it.
 */
export async function signInWithoutPin(db: Kysely<Database>, name: string, at: Date): Promise<void> {
  await writeTransaction(db, async (trx) => {
    const meta = await readMeta(trx);
    if (meta.get('agent_name')?.toLocaleLowerCase() === name.toLocaleLowerCase() && meta.get(lockedKey) !== 'true') return;
    let profile = await trx.selectFrom('agent_profiles').select(['id', 'name', 'former_ids']).where('name', '=', name).executeTakeFirst();
    if (!profile) {
      profile = { id: `local:${uuidv7()}`, name, former_ids: '[]' };
      await trx.insertInto('agent_profiles').values({ ...profile, pin_verifier: null, created_at: at.toISOString() }).execute();
    }
    await enter(trx, profile, at);
  });
}

export async function signOut(db: Kysely<Database>, at: Date): Promise<void> {
  await writeTransaction(db, async (trx) => {
    const { agent } = settingsFromMeta(await readMeta(trx));
    if (!agent) return;
    await journal(trx, 'signOut', agent, at);
    await setMeta(trx, { agent_id: null, agent_name: null, agent_former_ids: null, [lockedKey]: null });
  });
}

/** After the idle delay, or on request: the agent stays signed in, and their PIN unlocks. */
export async function lockSession(db: Kysely<Database>, at: Date): Promise<void> {
  await writeTransaction(db, async (trx) => {
    const meta = await readMeta(trx);
    const { agent } = settingsFromMeta(meta);
    if (!agent || meta.get(lockedKey) === 'true') return;
    await setMeta(trx, { [lockedKey]: 'true' });
    await journal(trx, 'lock', agent, at);
  });
}

/**
 * Names the signed-in agent (keeps their id). With nobody signed in, only a desk without any profile
 * may be named this way (as before profiles: the desk's first agent, without a PIN until they choose
 * one); otherwise someone must sign in first, so a name cannot be taken over.
 */
export async function nameAgent(trx: Kysely<Database>, name: string, at: Date): Promise<void> {
  const { agent } = settingsFromMeta(await readMeta(trx));
  if (agent) {
    if (await nameTaken(trx, name, agent.id)) throw new DeskError('agent.nameTaken', { name });
    await trx.updateTable('agent_profiles').set({ name }).where('id', '=', agent.id).execute();
    await setMeta(trx, { agent_name: name });
    return;
  }
  const any = await trx.selectFrom('agent_profiles').select('id').limit(1).executeTakeFirst();
  if (any) throw new DeskError('agent.signInRequired');
  const profile = { id: `local:${uuidv7()}`, name, former_ids: '[]' };
  await trx.insertInto('agent_profiles').values({ ...profile, pin_verifier: null, created_at: at.toISOString() }).execute();
  await enter(trx, profile, at);
}

/** A server enrolment gave the signed-in agent the server's id: their profile follows (see adoptServerAgent). */
export async function followServerAgent(trx: Kysely<Database>, from: string, to: { id: string; name: string; formerIds: string[] }): Promise<void> {
  const clash = await trx.selectFrom('agent_profiles').select('id').where('id', '=', to.id).where('id', '!=', from).executeTakeFirst();
  if (clash) {
    // That server agent already has a profile here: the signed-in one folds into it, keeping its ids.
    const kept = await trx.selectFrom('agent_profiles').select('former_ids').where('id', '=', to.id).executeTakeFirstOrThrow();
    const ids = [...new Set([...parseIds(kept.former_ids), ...to.formerIds])];
    await trx.updateTable('agent_profiles').set({ former_ids: JSON.stringify(ids) }).where('id', '=', to.id).execute();
    await trx.deleteFrom('agent_profiles').where('id', '=', from).execute();
    return;
  }
  // The server's name wins; another local profile holding it keeps its own (names are unique here).
  const name = (await nameTaken(trx, to.name, from)) ? undefined : to.name;
  await trx
    .updateTable('agent_profiles')
    .set({ id: to.id, former_ids: JSON.stringify(to.formerIds), ...(name ? { name } : {}) })
    .where('id', '=', from)
    .execute();
}

/**
 * The agent ids a token of that server agent may push: their own and the 'local:' ones their
 * profile recorded under before enrolment. Another profile's records wait for their own token.
 */
export async function idsOfTokenAgent(db: Kysely<Database>, tokenAgentId: string): Promise<string[]> {
  const profile = await db.selectFrom('agent_profiles').select('former_ids').where('id', '=', tokenAgentId).executeTakeFirst();
  if (profile) return [tokenAgentId, ...parseIds(profile.former_ids)];
  const { agent, formerAgentIds } = settingsFromMeta(await readMeta(db));
  return agent?.id === tokenAgentId ? [tokenAgentId, ...formerAgentIds] : [tokenAgentId];
}

export interface AgentEventRow {
  at: string;
  kind: AgentEventKind;
  agentId: string | null;
  agentName: string;
}

export async function listAgentEvents(db: Kysely<Database>, limit = 200): Promise<AgentEventRow[]> {
  const rows = await db.selectFrom('agent_events').selectAll().orderBy('seq', 'desc').limit(limit).execute();
  return rows.map((r) => ({ at: r.at, kind: r.kind, agentId: r.agent_id, agentName: r.agent_name }));
}

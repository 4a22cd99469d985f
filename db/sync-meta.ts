// What the device remembers about its server, in the meta table: where it is, the access token
// (sealed by the OS keychain when there is one), how far the pull has read, when it last synced.

import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { getMeta, readMeta, setMeta, settingsFromMeta } from './settings.ts';
import { followServerAgent } from './agent-profiles.ts';

export type TokenStorage = 'safeStorage' | 'plain';

export interface StoredSyncConfig {
  serverUrl: string | null;
  /** base64 of the keychain-sealed token, or the token itself when storage is 'plain'. */
  token: string | null;
  tokenStorage: TokenStorage | null;
}

/** Where the last greeting's feature list is kept (absent: no server has answered yet). */
export const serverFeaturesKey = 'sync_server_features';

const keys = {
  serverUrl: 'sync_server_url',
  token: 'sync_token',
  tokenStorage: 'sync_token_storage',
  cursor: 'sync_cursor',
  cursorServer: 'sync_cursor_server',
  lastSyncAt: 'sync_last_at',
  serverEpoch: 'sync_server_epoch',
  serverFeatures: serverFeaturesKey,
  notice: 'sync_notice',
  serverClock: 'sync_server_clock',
} as const;

export async function readSyncConfig(db: Kysely<Database>): Promise<StoredSyncConfig> {
  const meta = await readMeta(db);
  const storage = meta.get(keys.tokenStorage);
  return {
    serverUrl: meta.get(keys.serverUrl) ?? null,
    token: meta.get(keys.token) ?? null,
    tokenStorage: storage === 'safeStorage' || storage === 'plain' ? storage : null,
  };
}

/**
 * Saves the server and token. The pull cursor belongs to one server: pointing the device at
 * another one starts its pull from the beginning (records already here are ignored on arrival).
 */
export async function saveSyncConfig(
  trx: Kysely<Database>,
  config: { serverUrl: string; token: string; tokenStorage: TokenStorage },
): Promise<void> {
  const cursorServer = await getMeta(trx, keys.cursorServer);
  await setMeta(trx, {
    [keys.serverUrl]: config.serverUrl,
    [keys.token]: config.token,
    [keys.tokenStorage]: config.tokenStorage,
    ...(cursorServer !== config.serverUrl
      ? { [keys.cursor]: '0', [keys.cursorServer]: config.serverUrl, [keys.serverEpoch]: null, [keys.serverFeatures]: null }
      : {}),
  });
}

/** Turns sync off. The cursor stays, so coming back to the same server does not pull everything again. */
export async function clearSyncConfig(trx: Kysely<Database>): Promise<void> {
  await setMeta(trx, { [keys.serverUrl]: null, [keys.token]: null, [keys.tokenStorage]: null });
}

export async function getPullCursor(db: Kysely<Database>): Promise<string> {
  return (await getMeta(db, keys.cursor)) ?? '0';
}

/** Call in the transaction that applies the page the cursor comes from. */
export async function setPullCursor(trx: Kysely<Database>, cursor: string): Promise<void> {
  await setMeta(trx, { [keys.cursor]: cursor });
}

export async function getLastSyncAt(db: Kysely<Database>): Promise<string | null> {
  return getMeta(db, keys.lastSyncAt);
}

export async function setLastSyncAt(db: Kysely<Database>, at: string): Promise<void> {
  await setMeta(db, { [keys.lastSyncAt]: at });
}

/**
 * The agent the server knows the token by becomes this device's agent: new attempts carry it. The
 * identity it replaces (a 'local:' one, made before enrolment) is remembered, so the agent can still
 * undo or void the attempts recorded under it and sees them in today's counts.
 */
export async function adoptServerAgent(trx: Kysely<Database>, agent: { id: string; name: string }): Promise<void> {
  const { agent: current, formerAgentIds } = settingsFromMeta(await readMeta(trx));
  const former = current && current.id !== agent.id && !formerAgentIds.includes(current.id) ? [...formerAgentIds, current.id] : formerAgentIds;
  if (current) await followServerAgent(trx, current.id, { id: agent.id, name: agent.name, formerIds: former });
  else {
    // Enrolled with nobody signed in: that agent gets (or keeps) a profile, to choose a PIN at sign-in.
    await trx
      .insertInto('agent_profiles')
      .values({ id: agent.id, name: agent.name, pin_verifier: null, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  await setMeta(trx, { agent_id: agent.id, agent_name: agent.name, agent_former_ids: JSON.stringify(former) });
}

/** The identity of the server database the cursor came from (protocol feature 'epoch'). */
export async function getServerEpoch(db: Kysely<Database>): Promise<string | null> {
  return getMeta(db, keys.serverEpoch);
}

export async function setServerEpoch(trx: Kysely<Database>, epoch: string): Promise<void> {
  await setMeta(trx, { [keys.serverEpoch]: epoch });
}

/** What the server said it accepts, at the last /v1/me: JSON of names. */
export async function getServerFeatures(db: Kysely<Database>): Promise<string[]> {
  const raw = await getMeta(db, keys.serverFeatures);
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

export async function setServerFeatures(db: Kysely<Database>, features: readonly string[]): Promise<void> {
  await setMeta(db, { [keys.serverFeatures]: JSON.stringify(features) });
}

/** The desk's clock against the server's (desk − server, ms), as last measured; see SyncState.serverClock. */
export async function setServerClock(db: Kysely<Database>, clock: { offsetMs: number; at: string }): Promise<void> {
  await setMeta(db, { [keys.serverClock]: JSON.stringify(clock) });
}

export async function getServerClock(db: Kysely<Database>): Promise<{ offsetMs: number; at: string } | null> {
  const raw = await getMeta(db, keys.serverClock);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as { offsetMs?: unknown; at?: unknown };
    return typeof parsed.offsetMs === 'number' && Number.isFinite(parsed.offsetMs) && typeof parsed.at === 'string' ? { offsetMs: parsed.offsetMs, at: parsed.at } : null;
  } catch {
    return null;
  }
}

/** Something the agent should read about sync (a server restored, …): a code and its time. */
export async function setSyncNotice(db: Kysely<Database>, notice: { code: string; at: string } | null): Promise<void> {
  await setMeta(db, { [keys.notice]: notice ? JSON.stringify(notice) : null });
}

export async function getSyncNotice(db: Kysely<Database>): Promise<{ code: string; at: string } | null> {
  const raw = await getMeta(db, keys.notice);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as { code?: unknown; at?: unknown };
    return typeof parsed.code === 'string' && typeof parsed.at === 'string' ? { code: parsed.code, at: parsed.at } : null;
  } catch {
    return null;
  }
}

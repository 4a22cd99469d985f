// The device's settings, kept in the meta table next to its identity.

import type { Kysely } from 'kysely';
import { defaultChannel, type Agent, type Locale } from '../contract/index.ts';
import type { Database } from './schema.ts';

type MetaKey =
  | 'device_id'
  | 'agent_id'
  | 'agent_name'
  | 'locale'
  | 'single_key_shortcuts'
  | 'last_channel'
  | 'auto_advance'
  | (string & {});

export async function readMeta(db: Kysely<Database>): Promise<Map<MetaKey, string>> {
  const rows = await db.selectFrom('meta').select(['key', 'value']).execute();
  return new Map(rows.map((r) => [r.key, r.value]));
}

export async function getMeta(db: Kysely<Database>, key: MetaKey): Promise<string | null> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value ?? null;
}

export async function setMeta(db: Kysely<Database>, entries: Partial<Record<MetaKey, string | null>>): Promise<void> {
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    if (value === null) await db.deleteFrom('meta').where('key', '=', key).execute();
    else
      await db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
  }
}

export interface LocalSettings {
  agent: Agent | null;
  /** Identities this device's agent had before a server enrolled it: still theirs. */
  formerAgentIds: string[];
  locale: Locale;
  singleKeyShortcuts: boolean;
  lastChannel: string;
  /** After recording, open the next client of the queue by itself. */
  autoAdvance: boolean;
}

function parseIdList(json: string | undefined): string[] {
  if (!json) return [];
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function settingsFromMeta(meta: Map<MetaKey, string>): LocalSettings {
  const agentId = meta.get('agent_id');
  const agentName = meta.get('agent_name');
  return {
    agent: agentId && agentName ? { id: agentId, name: agentName } : null,
    formerAgentIds: parseIdList(meta.get('agent_former_ids')),
    locale: meta.get('locale') === 'en' ? 'en' : 'fr',
    singleKeyShortcuts: meta.get('single_key_shortcuts') !== 'false',
    lastChannel: meta.get('last_channel') ?? defaultChannel,
    autoAdvance: meta.get('auto_advance') === 'true',
  };
}

export async function loadSettings(db: Kysely<Database>): Promise<LocalSettings> {
  return settingsFromMeta(await readMeta(db));
}

/**
 * The device's own settings. Who the agent is lives in db/agent-profiles.ts (profiles, sign-in);
 * a profile's 'local:' id marks an identity made on this device before any server enrolled it: once
 * a server is configured the agent takes the server's id, and the server attributes the earlier
 * 'local:' attempts of this device to the token's agent (docs/sync-protocol.md).
 */
export async function saveSettings(
  db: Kysely<Database>,
  changes: { locale?: Locale; singleKeyShortcuts?: boolean; lastChannel?: string; autoAdvance?: boolean },
): Promise<void> {
  const entries: Partial<Record<MetaKey, string>> = {};
  if (changes.locale !== undefined) entries.locale = changes.locale;
  if (changes.singleKeyShortcuts !== undefined) entries.single_key_shortcuts = String(changes.singleKeyShortcuts);
  if (changes.lastChannel !== undefined) entries.last_channel = changes.lastChannel;
  if (changes.autoAdvance !== undefined) entries.auto_advance = String(changes.autoAdvance);
  await setMeta(db, entries);
}

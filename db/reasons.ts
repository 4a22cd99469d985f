// The reason list this desk offers: the site's own once a server sent one (feature 'site.reasons'),
// else the defaults of contract/reasons.ts. Kept in meta as the server sent it, checked again on
// every read: a list that no longer reads (a newer shape) falls back to the defaults, never breaks.

import type { Kysely } from 'kysely';
import { defaultReasons, reasonListSchema, type ReasonDefinition } from '../contract/index.ts';
import type { Database } from './schema.ts';
import { syncQueueRules } from './queue.ts';
import { getMeta, setMeta } from './settings.ts';

const key = 'site_reasons';

// The list is read on every click: parsed and checked once per stored text, not once per read.
let lastRead: { raw: string; list: readonly ReasonDefinition[] } | null = null;

/** The list kept in meta (its text, or nothing), as loadReasons reads it. */
export function reasonsFromMeta(meta: ReadonlyMap<string, string>): readonly ReasonDefinition[] {
  const raw = meta.get(key);
  if (!raw) return defaultReasons;
  if (lastRead?.raw === raw) return lastRead.list;
  let list: readonly ReasonDefinition[] = defaultReasons;
  try {
    const parsed = reasonListSchema.safeParse(JSON.parse(raw));
    if (parsed.success) list = parsed.data;
  } catch {
    // Not JSON any more (a newer shape): the defaults, as documented above.
  }
  lastRead = { raw, list };
  return list;
}

export async function loadReasons(db: Kysely<Database>): Promise<ReasonDefinition[]> {
  const raw = await getMeta(db, key);
  return [...reasonsFromMeta(new Map(raw ? [[key, raw]] : []))];
}

/** What the server sent at the greeting; null when it sent none (the site uses the defaults). */
export async function saveSiteReasons(db: Kysely<Database>, reasons: readonly ReasonDefinition[] | null): Promise<void> {
  await setMeta(db, { [key]: reasons ? JSON.stringify(reasons) : null });
  // The queue's stored retry times follow the new rules now, not at the next "Client suivant".
  await syncQueueRules(db, await loadReasons(db));
}

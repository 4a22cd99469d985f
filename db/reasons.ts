// The reason list this desk offers: the site's own once a server sent one (feature 'site.reasons'),
// else the defaults of contract/reasons.ts. Kept in meta as the server sent it, checked again on
// every read: a list that no longer reads (a newer shape) falls back to the defaults, never breaks.

import type { Kysely } from 'kysely';
import { defaultReasons, reasonListSchema, type ReasonDefinition } from '../contract/index.ts';
import type { Database } from './schema.ts';
import { getMeta, setMeta } from './settings.ts';

const key = 'site_reasons';

export async function loadReasons(db: Kysely<Database>): Promise<ReasonDefinition[]> {
  const raw = await getMeta(db, key);
  if (!raw) return [...defaultReasons];
  try {
    const parsed = reasonListSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : [...defaultReasons];
  } catch {
    return [...defaultReasons];
  }
}

/** What the server sent at the greeting; null when it sent none (the site uses the defaults). */
export async function saveSiteReasons(db: Kysely<Database>, reasons: readonly ReasonDefinition[] | null): Promise<void> {
  await setMeta(db, { [key]: reasons ? JSON.stringify(reasons) : null });
}

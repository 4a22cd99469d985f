// What support needs to know about a desk's base, without a single client's data: its integrity
// (PRAGMA quick_check), its schema (migrations applied), its size, and how many records wait to be
// sent or were refused. For the diagnostic zip (main/diagnostics.ts), run in the database worker.

import type BetterSqlite3 from 'better-sqlite3';

export interface DatabaseDiagnosis {
  quickCheck: string;
  migrations: string[];
  journalMode: string;
  pageSize: number;
  pageCount: number;
  freePages: number;
  outboxPending: number;
  outboxDead: number;
  parked: number;
  clients: number;
  attempts: number;
}

export function diagnoseBase(sqlite: BetterSqlite3.Database): DatabaseDiagnosis {
  const count = (sql: string) => (sqlite.prepare(sql).pluck().get() as number | undefined) ?? 0;
  const check = sqlite.pragma('quick_check', { simple: true });
  return {
    // Only "ok" or SQLite's own page and index messages: no row content.
    quickCheck: String(check).slice(0, 2000),
    migrations: (sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').pluck().all() as string[]),
    journalMode: String(sqlite.pragma('journal_mode', { simple: true })),
    pageSize: Number(sqlite.pragma('page_size', { simple: true })),
    pageCount: Number(sqlite.pragma('page_count', { simple: true })),
    freePages: Number(sqlite.pragma('freelist_count', { simple: true })),
    outboxPending: count(`SELECT count(*) FROM outbox WHERE state = 'pending'`),
    outboxDead: count(`SELECT count(*) FROM outbox WHERE state = 'dead'`),
    parked: count('SELECT count(*) FROM sync_parked'),
    clients: count('SELECT count(*) FROM clients'),
    attempts: count('SELECT count(*) FROM attempts'),
  };
}

// Every row of every table (FTS shadow tables and migration bookkeeping included), in a stable
// order: two snapshots are equal exactly when a refused operation wrote nothing.

import type BetterSqlite3 from 'better-sqlite3';

export type DatabaseSnapshot = Record<string, string[]>;

export function snapshotDatabase(sqlite: BetterSqlite3.Database): DatabaseSnapshot {
  const tables = sqlite
    .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .pluck()
    .all() as string[];
  const snapshot: DatabaseSnapshot = {};
  for (const table of tables) {
    const rows = sqlite.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}"`).all();
    snapshot[table] = rows
      .map((row) => JSON.stringify(row, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('hex') : typeof value === 'bigint' ? String(value) : value)))
      .sort();
  }
  return snapshot;
}

/** The client's stored status fields, recomputed from the whole history, for comparison. */
export function recomputedStatuses(sqlite: BetterSqlite3.Database): { stored: unknown[]; recomputed: unknown[] } {
  const stored = sqlite
    .prepare(
      `SELECT code, last_status, last_attempt_id, last_attempt_at, attempt_count FROM clients ORDER BY code`,
    )
    .all();
  const recomputed = sqlite
    .prepare(
      `SELECT c.code,
              (SELECT a.status FROM attempts a WHERE a.client_code = c.code AND a.id NOT IN (SELECT attempt_id FROM voids)
                ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1) AS last_status,
              (SELECT a.id FROM attempts a WHERE a.client_code = c.code AND a.id NOT IN (SELECT attempt_id FROM voids)
                ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1) AS last_attempt_id,
              (SELECT a.occurred_at FROM attempts a WHERE a.client_code = c.code AND a.id NOT IN (SELECT attempt_id FROM voids)
                ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1) AS last_attempt_at,
              (SELECT count(*) FROM attempts a WHERE a.client_code = c.code AND a.id NOT IN (SELECT attempt_id FROM voids)) AS attempt_count
         FROM clients c ORDER BY c.code`,
    )
    .all();
  return { stored, recomputed };
}

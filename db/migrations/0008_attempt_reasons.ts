import { sql, type Kysely } from 'kysely';
import { sqlList } from '../../contract/enums.ts';

// Why an attempt ended: one row per attempt, its own fact beside the attempt, which stays as it was
// written (attempts_are_immutable). Given before the click (same transaction as the attempt) or in
// the undo window after it; the first one stands. The outbox now also carries 'reason' and 'callback'
// records (written out: a shipped migration must not follow later changes of contract/enums.ts):
// SQLite cannot change a CHECK, so the table is rebuilt with its rows, sequence and index.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `CREATE TABLE attempt_reasons (
       attempt_id TEXT PRIMARY KEY REFERENCES attempts (id),
       code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
       chosen_at TEXT NOT NULL,
       utc_offset_min INTEGER NOT NULL CHECK (utc_offset_min BETWEEN -840 AND 840)
     ) STRICT`,
    `CREATE TRIGGER attempt_reasons_are_immutable BEFORE UPDATE ON attempt_reasons BEGIN
       SELECT RAISE(ABORT, 'an attempt keeps its first reason');
     END`,
    `CREATE TRIGGER attempt_reasons_are_kept BEFORE DELETE ON attempt_reasons BEGIN
       SELECT RAISE(ABORT, 'an attempt keeps its first reason');
     END`,
    `CREATE TABLE outbox_next (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       kind TEXT NOT NULL CHECK (kind IN (${sqlList(['attempt', 'void', 'reason', 'callback'])})),
       record_id TEXT NOT NULL,
       payload TEXT NOT NULL,
       created_at TEXT NOT NULL,
       state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
       tries INTEGER NOT NULL DEFAULT 0,
       last_error TEXT,
       failed_at TEXT,
       UNIQUE (kind, record_id)
     ) STRICT`,
    `INSERT INTO outbox_next SELECT seq, kind, record_id, payload, created_at, state, tries, last_error, failed_at FROM outbox`,
    // The sequence goes on from where the old table's was, also past rows already sent and deleted.
    `UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'outbox')) WHERE name = 'outbox_next'`,
    `INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_next', seq FROM sqlite_sequence WHERE name = 'outbox' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_next')`,
    `DROP TABLE outbox`,
    `ALTER TABLE outbox_next RENAME TO outbox`,
    `CREATE INDEX outbox_by_state ON outbox (state, seq)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

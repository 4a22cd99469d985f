import { sql, type Kysely } from 'kysely';

// Written as SQL: STRICT tables, CHECK constraints, FTS5 and triggers are SQLite's own and read best as such.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT`,
    `CREATE TABLE clients (
       code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 64),
       name TEXT NOT NULL,
       phones TEXT NOT NULL DEFAULT '[]',
       email TEXT,
       city TEXT,
       address TEXT,
       extra TEXT NOT NULL DEFAULT '{}',
       name_key TEXT NOT NULL,
       search_text TEXT NOT NULL,
       last_status TEXT CHECK (last_status IN ('success', 'failure')),
       last_attempt_at TEXT,
       last_attempt_id TEXT,
       last_agent_id TEXT,
       last_agent_name TEXT,
       attempt_count INTEGER NOT NULL DEFAULT 0,
       created_at TEXT NOT NULL,
       updated_at TEXT NOT NULL
     ) STRICT`,
    `CREATE INDEX clients_by_name ON clients (name_key, code)`,
    `CREATE INDEX clients_by_status ON clients (last_status, name_key, code)`,
    `CREATE VIRTUAL TABLE clients_fts USING fts5 (search_text, content='clients', content_rowid='rowid', tokenize='trigram remove_diacritics 1')`,
    `CREATE TRIGGER clients_fts_insert AFTER INSERT ON clients BEGIN
       INSERT INTO clients_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
     END`,
    `CREATE TRIGGER clients_fts_delete AFTER DELETE ON clients BEGIN
       INSERT INTO clients_fts (clients_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
     END`,
    `CREATE TRIGGER clients_fts_update AFTER UPDATE OF search_text ON clients BEGIN
       INSERT INTO clients_fts (clients_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
       INSERT INTO clients_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
     END`,
    `CREATE TABLE attempts (
       id TEXT PRIMARY KEY,
       client_code TEXT NOT NULL REFERENCES clients (code),
       agent_id TEXT NOT NULL,
       agent_name TEXT NOT NULL,
       occurred_at TEXT NOT NULL,
       utc_offset_min INTEGER NOT NULL CHECK (utc_offset_min BETWEEN -840 AND 840),
       status TEXT NOT NULL CHECK (status IN ('success', 'failure')),
       channel TEXT NOT NULL CHECK (length(channel) BETWEEN 1 AND 40),
       note TEXT CHECK (note IS NULL OR length(note) <= 1000),
       device_id TEXT NOT NULL
     ) STRICT`,
    `CREATE INDEX attempts_by_client ON attempts (client_code, occurred_at DESC, id DESC)`,
    `CREATE INDEX attempts_by_time ON attempts (occurred_at, agent_id)`,
    `CREATE INDEX attempts_by_agent ON attempts (agent_id, occurred_at)`,
    // Attempts are history: once written they never change and never go away.
    `CREATE TRIGGER attempts_are_immutable BEFORE UPDATE ON attempts BEGIN
       SELECT RAISE(ABORT, 'attempts are immutable: void them instead');
     END`,
    `CREATE TRIGGER attempts_are_kept BEFORE DELETE ON attempts BEGIN
       SELECT RAISE(ABORT, 'attempts are kept: void them instead');
     END`,
    `CREATE TABLE voids (
       attempt_id TEXT PRIMARY KEY REFERENCES attempts (id),
       agent_id TEXT NOT NULL,
       agent_name TEXT NOT NULL,
       voided_at TEXT NOT NULL,
       utc_offset_min INTEGER NOT NULL,
       reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
       kind TEXT NOT NULL CHECK (kind IN ('undo', 'void')),
       device_id TEXT NOT NULL
     ) STRICT`,
    `CREATE TABLE outbox (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       kind TEXT NOT NULL CHECK (kind IN ('attempt', 'void')),
       record_id TEXT NOT NULL,
       payload TEXT NOT NULL,
       created_at TEXT NOT NULL,
       state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
       tries INTEGER NOT NULL DEFAULT 0,
       last_error TEXT,
       failed_at TEXT,
       UNIQUE (kind, record_id)
     ) STRICT`,
    `CREATE INDEX outbox_by_state ON outbox (state, seq)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

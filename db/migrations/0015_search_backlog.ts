import { sql, type Kysely } from 'kysely';

// The trigram index of imported clients is written after the import rather than inside it
// (db/search-backlog.ts): indexing every 3-character window of a client's search text was ~60–115 µs
// of CPU per imported line, several times the rest of the line's work (docs/PERFORMANCE.md).
//
// clients_fts_pending lists the clients whose current search text the index does not hold yet, with
// the text it does hold for them (indexed_text; NULL: none, a client new since). A search reads the
// index for the other clients and these rows by their search text (db/clients.ts), so it is right at
// every moment; the backlog is emptied in small transactions, and resumes from what is left after a
// kill since it is a table of the base.
//
// clients_fts_deferral holds a row only inside an import chunk's transaction (written after its
// BEGIN, deleted before its COMMIT, gone with a rollback): no other transaction ever sees it, so
// every other writer (a sync pull on its own connection, the client form, the demo data) keeps
// indexing at once, through the same triggers. One trigger per event, its statements guarded:
// separate triggers with WHEN clauses could each see the pending row the other just removed.
export async function up(db: Kysely<unknown>): Promise<void> {
  const deferring = `EXISTS (SELECT 1 FROM clients_fts_deferral)`;
  const statements = [
    `CREATE TABLE clients_fts_pending (
       client_rowid INTEGER PRIMARY KEY,
       indexed_text TEXT
     ) STRICT`,
    `CREATE TABLE clients_fts_deferral (deferring INTEGER PRIMARY KEY CHECK (deferring = 1)) STRICT`,
    `DROP TRIGGER clients_fts_insert`,
    `DROP TRIGGER clients_fts_update`,
    `DROP TRIGGER clients_fts_delete`,
    `CREATE TRIGGER clients_fts_insert AFTER INSERT ON clients BEGIN
       INSERT INTO clients_fts (rowid, search_text) SELECT new.rowid, new.search_text WHERE NOT ${deferring};
       INSERT INTO clients_fts_pending (client_rowid, indexed_text) SELECT new.rowid, NULL WHERE ${deferring};
     END`,
    // Deferred, the first update keeps what the index holds (the old text, or NULL if never indexed);
    // otherwise what the index holds goes out, the new text goes in, and the row leaves the backlog.
    // Not INSERT OR IGNORE: the import's upsert (ON CONFLICT DO UPDATE) overrides a trigger's conflict clause.
    `CREATE TRIGGER clients_fts_update AFTER UPDATE OF search_text ON clients BEGIN
       INSERT INTO clients_fts_pending (client_rowid, indexed_text)
         SELECT new.rowid, old.search_text
         WHERE ${deferring} AND NOT EXISTS (SELECT 1 FROM clients_fts_pending WHERE client_rowid = new.rowid);
       INSERT INTO clients_fts (clients_fts, rowid, search_text)
         SELECT 'delete', old.rowid, old.search_text
         WHERE NOT ${deferring} AND NOT EXISTS (SELECT 1 FROM clients_fts_pending WHERE client_rowid = old.rowid);
       INSERT INTO clients_fts (clients_fts, rowid, search_text)
         SELECT 'delete', client_rowid, indexed_text FROM clients_fts_pending
         WHERE client_rowid = old.rowid AND indexed_text IS NOT NULL AND NOT ${deferring};
       INSERT INTO clients_fts (rowid, search_text) SELECT new.rowid, new.search_text WHERE NOT ${deferring};
       DELETE FROM clients_fts_pending WHERE client_rowid = new.rowid AND NOT ${deferring};
     END`,
    `CREATE TRIGGER clients_fts_delete AFTER DELETE ON clients BEGIN
       INSERT INTO clients_fts (clients_fts, rowid, search_text)
         SELECT 'delete', old.rowid, old.search_text
         WHERE NOT EXISTS (SELECT 1 FROM clients_fts_pending WHERE client_rowid = old.rowid);
       INSERT INTO clients_fts (clients_fts, rowid, search_text)
         SELECT 'delete', client_rowid, indexed_text FROM clients_fts_pending WHERE client_rowid = old.rowid AND indexed_text IS NOT NULL;
       DELETE FROM clients_fts_pending WHERE client_rowid = old.rowid;
     END`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

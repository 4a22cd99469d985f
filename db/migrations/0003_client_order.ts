import { sql, type Kysely } from 'kysely';

// A narrow copy of what orders and filters the client list (name key, code, status), keyed by the
// client row's rowid and kept by triggers. A name search sorts its matches by name: reading those
// keys from the 30 MB clients table, one random row per match, missed the page cache once several
// searches ran (p50 4.4 ms on 100k clients); this table is a few MB and stays cached.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    `CREATE TABLE client_order (
       client_rowid INTEGER PRIMARY KEY,
       name_key TEXT NOT NULL,
       code TEXT NOT NULL,
       last_status TEXT
     ) STRICT`,
    `INSERT INTO client_order (client_rowid, name_key, code, last_status) SELECT rowid, name_key, code, last_status FROM clients`,
    `CREATE TRIGGER client_order_insert AFTER INSERT ON clients BEGIN
       INSERT INTO client_order (client_rowid, name_key, code, last_status) VALUES (new.rowid, new.name_key, new.code, new.last_status);
     END`,
    `CREATE TRIGGER client_order_update AFTER UPDATE OF name_key, code, last_status ON clients BEGIN
       UPDATE client_order SET name_key = new.name_key, code = new.code, last_status = new.last_status WHERE client_rowid = new.rowid;
     END`,
    `CREATE TRIGGER client_order_delete AFTER DELETE ON clients BEGIN
       DELETE FROM client_order WHERE client_rowid = old.rowid;
     END`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}

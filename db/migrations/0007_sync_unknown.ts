import { sql, type Kysely } from 'kysely';

// Pulled records this version cannot read (a kind, a value or a shape from a newer server) wait
// here, untouched, instead of stopping the pull; a later version of the app reads them again
// (db/sync-unknown.ts). Usually empty: servers send a device only what it says it reads.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `CREATE TABLE sync_unknown (
         seq INTEGER PRIMARY KEY,
         kind TEXT NOT NULL,
         payload TEXT NOT NULL,
         problem TEXT NOT NULL,
         app_version TEXT NOT NULL,
         received_at TEXT NOT NULL
       ) STRICT`,
    )
    .execute(db);
}

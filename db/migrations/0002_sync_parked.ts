import { sql, type Kysely } from 'kysely';

// Records pulled from the server before what they depend on (a void before its attempt, an attempt
// before its client) wait here instead of being lost; the next pulled page that brings the missing
// piece applies them. Usually empty: the server's feed is ordered, this covers the gaps.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `CREATE TABLE sync_parked (
         kind TEXT NOT NULL CHECK (kind IN ('attempt', 'void')),
         record_id TEXT NOT NULL,
         waits_for TEXT NOT NULL,
         payload TEXT NOT NULL,
         parked_at TEXT NOT NULL,
         PRIMARY KEY (kind, record_id)
       ) STRICT`,
    )
    .execute(db);
  await sql.raw(`CREATE INDEX sync_parked_by_dependency ON sync_parked (waits_for)`).execute(db);
}

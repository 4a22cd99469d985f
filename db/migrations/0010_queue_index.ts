import { sql, type Kysely } from 'kysely';

// "Client suivant" reads failures oldest first (db/queue.ts): without this index it would sort every
// failed client of a 100,000-client base at each press.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`CREATE INDEX clients_by_status_and_time ON clients (last_status, last_attempt_at, code)`).execute(db);
}

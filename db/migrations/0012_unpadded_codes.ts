import { sql, type Kysely } from 'kysely';

// Excel drops the leading zeros of a code such as 0000100400 when a file is opened and saved again,
// so an import may bring 100400 beside the 0000100400 already known: two clients for one. The
// import warns about such look-alikes (db/import.ts); this index finds, for a code, the codes that
// equal it once their zeros are stripped. Partial: only codes beginning with a zero are in it, so
// other codes cost nothing more to write.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`CREATE INDEX clients_by_unpadded_code ON clients (ltrim(code, '0')) WHERE code GLOB '0*'`).execute(db);
}

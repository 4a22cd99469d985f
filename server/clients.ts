// The clients the server knows: written by the admin import (or a test), handed to devices by
// pull. An attempt pushed for a client the server does not know is rejected (client.unknown).

import type { Kysely } from 'kysely';
import type { ClientRecord } from '../contract/sync-protocol.ts';
import { appendChanges } from './storage/changes.ts';
import { clientSearchText } from './console/search-text.ts';
import type { ServerSchema } from './storage/schema.ts';

export type ClientFields = Omit<ClientRecord, 'updatedAt'>;

export type StoreOutcome = 'inserted' | 'updated' | 'unchanged';

/**
 * Inserts or updates clients by code inside the caller's transaction. Returns the codes that
 * actually changed: the caller logs them (appendChanges) as the LAST step of its transaction, so
 * the change counter is held only briefly. Re-importing the same file sends nothing to devices.
 */
export async function storeClients(
  trx: Kysely<ServerSchema>,
  clients: ClientFields[],
  at: string,
): Promise<{ outcomes: StoreOutcome[]; changed: string[] }> {
  const outcomes: StoreOutcome[] = [];
  const changed: string[] = [];
  for (const client of clients) {
    const fields = {
      name: client.name,
      phones: JSON.stringify(client.phones),
      email: client.email,
      city: client.city,
      address: client.address,
      extra: JSON.stringify(client.extra),
      search_text: clientSearchText(client.code, client.name, client.phones),
    };
    const current = await trx.selectFrom('clients').selectAll().where('code', '=', client.code).executeTakeFirst();
    if (!current) {
      await trx.insertInto('clients').values({ code: client.code, ...fields, created_at: at, updated_at: at }).execute();
      outcomes.push('inserted');
      changed.push(client.code);
    } else if (
      current.name === fields.name &&
      current.phones === fields.phones &&
      current.email === fields.email &&
      current.city === fields.city &&
      current.address === fields.address &&
      current.extra === fields.extra &&
      current.search_text === fields.search_text
    ) {
      outcomes.push('unchanged');
    } else {
      await trx.updateTable('clients').set({ ...fields, updated_at: at }).where('code', '=', client.code).execute();
      outcomes.push('updated');
      changed.push(client.code);
    }
  }
  return { outcomes, changed };
}

export async function logClientChanges(trx: Kysely<ServerSchema>, codes: string[]): Promise<void> {
  await appendChanges(
    trx,
    codes.map((code) => ({ kind: 'client', ref: code })),
  );
}

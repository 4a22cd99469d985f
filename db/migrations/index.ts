// Migrations are imported, not read from a folder, so they survive bundling into the app.
// Append new ones; never edit one that has shipped.

import type { Migration, MigrationProvider } from 'kysely/migration';
import * as m0001 from './0001_initial.ts';
import * as m0002 from './0002_sync_parked.ts';
import * as m0003 from './0003_client_order.ts';
import * as m0007 from './0007_sync_unknown.ts';
import * as m0008 from './0008_attempt_reasons.ts';
import * as m0009 from './0009_callbacks.ts';
import * as m0010 from './0010_queue_index.ts';
import * as m0011 from './0011_agent_profiles.ts';
import * as m0012 from './0012_unpadded_codes.ts';
import * as m0013 from './0013_queue_retry.ts';
import * as m0014 from './0014_server_sign_in.ts';
import * as m0015 from './0015_search_backlog.ts';

const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_sync_parked': m0002,
  '0003_client_order': m0003,
  '0007_sync_unknown': m0007,
  '0008_attempt_reasons': m0008,
  '0009_callbacks': m0009,
  '0010_queue_index': m0010,
  '0011_agent_profiles': m0011,
  '0012_unpadded_codes': m0012,
  '0013_queue_retry': m0013,
  '0014_server_sign_in': m0014,
  '0015_search_backlog': m0015,
};

/** What this version of the app knows: a base with any other migration comes from a newer version. */
export const migrationNames: readonly string[] = Object.keys(migrations);

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

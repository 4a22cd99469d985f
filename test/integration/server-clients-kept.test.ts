// Server migration 0007: on PostgreSQL a pushed attempt no longer takes a foreign-key lock on its
// client's row, which made every push write one page per client into the WAL on a large base
// (docs/PERFORMANCE.md, "Server on 10,000,000 attempts"); the reference still holds because
// clients are never deleted nor renamed, which both databases now refuse.

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerDatabase, type ServerDatabase } from '../../server/storage/database.ts';
import {
  ProtocolClient,
  attemptRecord,
  postgresUnavailableReason,
  startTestServer,
  testClient,
  type Backend,
  type TestServer,
} from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] PostgreSQL client-row tests skipped: ${pgReason}`);

const backends: { backend: Backend; skip: boolean }[] = [
  { backend: 'sqlite', skip: false },
  { backend: 'postgres', skip: pgReason !== null },
];

describe.each(backends)('clients referenced by history on $backend', ({ backend, skip }) => {
  let server: TestServer;
  let sdb: ServerDatabase;
  let api: ProtocolClient;

  beforeAll(async () => {
    if (skip) return;
    server = await startTestServer(backend);
    await server.clients([testClient('K1'), testClient('K2')]);
    api = new ProtocolClient(server.url, (await server.agent()).token);
    sdb = await openServerDatabase(server.database.url, { poolSize: 1, migrate: false });
  });
  afterAll(async () => {
    await sdb?.close();
    await server?.stop();
  });

  it.skipIf(skip)('refuses to delete a client, referenced or not, and to change its code', async () => {
    const pushed = await api.push('device-k', [{ kind: 'attempt', record: attemptRecord({ clientCode: 'K1' }) }]);
    expect(pushed.status).toBe(200);
    expect(pushed.body.results[0].outcome).toBe('applied');
    for (const code of ['K1', 'K2']) {
      await expect(sdb.db.deleteFrom('clients').where('code', '=', code).execute()).rejects.toThrow(/never deleted nor renamed/);
    }
    await expect(sdb.db.updateTable('clients').set({ code: 'K9' }).where('code', '=', 'K2').execute()).rejects.toThrow(/never deleted nor renamed/);
    // Everything else about a client may change, code included in the SET list.
    await sdb.db.updateTable('clients').set({ code: 'K2', name: 'Client renommé' }).where('code', '=', 'K2').execute();
    const names = await sdb.db.selectFrom('clients').select(['code', 'name']).orderBy('code').execute();
    expect(names).toEqual([
      { code: 'K1', name: 'Client K1' },
      { code: 'K2', name: 'Client renommé' },
    ]);
  });
});

// PostgreSQL only: SQLite's foreign-key check reads the client row without writing to it.
describe.skipIf(pgReason !== null)('pushed attempts and their client rows on postgres', () => {
  let server: TestServer;
  let sdb: ServerDatabase;
  let api: ProtocolClient;

  beforeAll(async () => {
    server = await startTestServer('postgres');
    await server.clients([testClient('K2')]);
    api = new ProtocolClient(server.url, (await server.agent()).token);
    sdb = await openServerDatabase(server.database.url, { poolSize: 1, migrate: false });
  });
  afterAll(async () => {
    await sdb?.close();
    await server?.stop();
  });

  it('takes no foreign-key lock on the client: the push writes the client row once, for its status', async () => {
    // The push keeps the client's synthetic status (the console reads it), so the row is written
    // anyway; what migration 0007 removed is the key check's row lock on top of it, one per attempt.
    const keys = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM pg_constraint
       WHERE contype = 'f' AND conrelid = 'attempts'::regclass AND confrelid = 'clients'::regclass`.execute(sdb.db);
    expect(keys.rows[0]?.n).toBe('0');
    const first = attemptRecord({ clientCode: 'K2', occurredAt: '2026-11-30T09:00:00.000Z' });
    const latest = attemptRecord({ clientCode: 'K2', occurredAt: '2026-11-30T10:00:00.000Z', status: 'failure' });
    const pushed = await api.push('device-k', [
      { kind: 'attempt', record: latest },
      { kind: 'attempt', record: first },
    ]);
    expect(pushed.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['applied', 'applied']);
    const row = await sdb.db.selectFrom('clients').select(['last_attempt_id', 'last_status', 'attempt_count']).where('code', '=', 'K2').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ last_attempt_id: latest.id, last_status: 'failure' });
    expect(Number(row.attempt_count)).toBe(2);
    // And an attempt for a client that does not exist is still refused, item by item.
    const unknown = await api.push('device-k', [{ kind: 'attempt', record: attemptRecord({ clientCode: 'NOPE' }) }]);
    expect(unknown.body.results[0]).toMatchObject({ outcome: 'rejected', error: { code: 'client.unknown' } });
  });
});

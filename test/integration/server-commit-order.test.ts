// Pull hands out changes with seq > cursor, so no change may become visible after one with a
// larger seq. These tests hold a transaction open on PostgreSQL to show (1) that a plain sequence
// loses rows under exactly that interleaving, and (2) that the server's change log does not.

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindsHeader } from '../../contract/sync-protocol.ts';
import { applyPushInTransaction } from '../../server/push.ts';
import { checkPush } from '../../server/push-items.ts';
import { openServerDatabase, type ServerDatabase } from '../../server/storage/database.ts';
import {
  ProtocolClient,
  attemptRecord,
  postgresUnavailableReason,
  startTestServer,
  testClient,
  type TestServer,
} from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] commit-order tests need PostgreSQL: ${pgReason}`);

/** Resolves to 'pending' if the promise has not settled within ms. */
function stillPending(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  return Promise.race([promise.then(() => 'settled' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

describe.skipIf(pgReason !== null)('pull order equals commit order on PostgreSQL', () => {
  let server: TestServer;
  let sdb: ServerDatabase;

  beforeAll(async () => {
    server = await startTestServer('postgres');
    await server.clients([testClient('C1')]);
    sdb = await openServerDatabase(server.database.url);
  });
  afterAll(async () => {
    await sdb?.close();
    await server?.stop();
  });

  it('control: a plain sequence read with "seq > cursor" loses a row committed late', async () => {
    const a = new pg.Client({ connectionString: server.database.url });
    const b = new pg.Client({ connectionString: server.database.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('CREATE TABLE naive_log (seq bigserial PRIMARY KEY, label text NOT NULL)');
      await a.query('BEGIN');
      await a.query(`INSERT INTO naive_log (label) VALUES ('A')`); // takes seq 1, stays open
      await b.query(`INSERT INTO naive_log (label) VALUES ('B')`); // takes seq 2, commits
      const firstPull = await b.query('SELECT seq, label FROM naive_log WHERE seq > 0 ORDER BY seq');
      expect(firstPull.rows.map((r) => r.label)).toEqual(['B']);
      const cursor = firstPull.rows.at(-1).seq;
      await a.query('COMMIT');
      const secondPull = await b.query('SELECT seq, label FROM naive_log WHERE seq > $1 ORDER BY seq', [cursor]);
      expect(secondPull.rows).toEqual([]); // A is committed, yet a device at this cursor never sees it
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('a change taken by an open transaction is never skipped by a pull, whatever commits meanwhile', async () => {
    const awa = await server.agent('Awa Diallo');
    const fatou = await server.agent('Fatou Sow');
    const reader = new ProtocolClient(server.url, (await server.agent('Superviseur')).token);
    const start = await reader.pullAll();

    const recordA = attemptRecord({ clientCode: 'C1', deviceId: 'dev-a' });
    const recordB = attemptRecord({ clientCode: 'C1', deviceId: 'dev-b' });

    // Transaction A: a push that has written its attempt and taken its change number, not committed.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let tookSeq!: () => void;
    const aTookSeq = new Promise<void>((r) => (tookSeq = r));
    const transactionA = sdb.db.transaction().execute(async (trx) => {
      await applyPushInTransaction(
        trx,
        { kind: 'agent', agentId: awa.agentId, agentName: awa.agentName, tokenId: awa.tokenId, boundDeviceId: null },
        checkPush({ protocol: 1, deviceId: 'dev-a', items: [{ kind: 'attempt', record: recordA }] }),
        new Date().toISOString(),
      );
      tookSeq();
      await released;
    });
    await aTookSeq;

    // B pushes over HTTP meanwhile: it may write its attempt, but cannot take a later number.
    const pushB = new ProtocolClient(server.url, fatou.token).push('dev-b', [{ kind: 'attempt', record: recordB }]);
    expect(await stillPending(pushB, 400)).toBe('pending');

    // A pull in the middle sees neither, and its cursor does not move past A.
    const middle = await reader.pullAll(start.cursor);
    expect(middle.changes).toEqual([]);

    release();
    await transactionA;
    const answerB = await pushB;
    expect(answerB.status).toBe(200);
    expect(answerB.body.results[0].outcome).toBe('applied');

    const after = await reader.pullAll(middle.cursor);
    expect(after.changes.map((c: any) => c.record.id)).toEqual([recordA.id, recordB.id]);
  });

  it('a transaction that rolls back leaves no hole and loses nothing', async () => {
    const awa = await server.agent('Awa Diallo');
    // Reads agent states too: the agent just made is logged as one, and the cursor passes it.
    const reader = new ProtocolClient(server.url, awa.token, { [kindsHeader]: 'agentState' });
    const start = await reader.pullAll();
    const doomed = attemptRecord({ clientCode: 'C1' });
    await expect(
      sdb.db.transaction().execute(async (trx) => {
        await applyPushInTransaction(
          trx,
          { kind: 'agent', agentId: awa.agentId, agentName: awa.agentName, tokenId: awa.tokenId, boundDeviceId: null },
          checkPush({ protocol: 1, deviceId: 'dev-r', items: [{ kind: 'attempt', record: doomed }] }),
          new Date().toISOString(),
        );
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    const kept = attemptRecord({ clientCode: 'C1' });
    await reader.push('dev-r', [{ kind: 'attempt', record: kept }]);
    const pulled = await reader.pullAll(start.cursor);
    expect(pulled.changes.map((c: any) => c.record.id)).toEqual([kept.id]);
    expect(BigInt(pulled.cursor)).toBe(BigInt(start.cursor) + 1n);
  });
});

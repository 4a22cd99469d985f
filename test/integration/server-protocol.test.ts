// The sync protocol v1 against a real server on 127.0.0.1, on SQLite and on PostgreSQL.

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocolHeader, pushLimits, type ChangeItem } from '../../contract/sync-protocol.ts';
import pg from 'pg';
import { buildApp } from '../../server/app.ts';
import { revokeToken, startServer } from '../../server/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import {
  ProtocolClient,
  attemptRecord,
  countRows,
  createTestDatabase,
  postgresAdminUrl,
  postgresUnavailableReason,
  startTestServer,
  testClient,
  voidRecord,
  type Backend,
  type TestServer,
} from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] PostgreSQL protocol tests skipped: ${pgReason}`);

function expectProtocolError(answer: { status: number; body: any }, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.error.code).toBe(code);
  expect(answer.body.error.message.fr).toEqual(expect.any(String));
  expect(answer.body.error.message.en).toEqual(expect.any(String));
  expect(answer.body.error.message.fr).not.toBe(answer.body.error.message.en);
  expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.ts:\d+|stack/i);
}

const backends: { backend: Backend; skip: boolean }[] = [
  { backend: 'sqlite', skip: false },
  { backend: 'postgres', skip: pgReason !== null },
];

describe.each(backends)('sync server on $backend', ({ backend, skip }) => {
  let server: TestServer;

  beforeAll(async () => {
    if (skip) return;
    server = await startTestServer(backend);
    await server.clients([testClient('C1'), testClient('C2'), testClient('C3')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function agentClient(name = 'Awa Diallo') {
    const issued = await server.agent(name);
    return { issued, api: new ProtocolClient(server.url, issued.token) };
  }

  it.skipIf(skip)('answers /health once the database answers', async () => {
    const answer = await new ProtocolClient(server.url, null).request('GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'ok' });
  });

  it.skipIf(skip)('tells a device who its token belongs to', async () => {
    const { issued, api } = await agentClient('Moussa Koné');
    const answer = await api.me();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ agentId: issued.agentId, agentName: 'Moussa Koné' });
    expect(Date.parse(answer.body.serverTime)).not.toBeNaN();
  });

  it.skipIf(skip)('stores pushed attempts under the token agent and hands them to every device', async () => {
    const { issued, api } = await agentClient('Awa Diallo');
    const start = await api.pullAll();
    const attempt = attemptRecord({ clientCode: 'C1', agentId: 'local:0192', agentName: 'Awa (poste)', deviceId: 'dev-a', utcOffsetMin: 120, note: 'Messagerie' });
    const second = attemptRecord({ clientCode: 'C2', agentId: issued.agentId, status: 'failure', deviceId: 'dev-a' });
    const pushed = await api.push('dev-a', [
      { kind: 'attempt', record: attempt },
      { kind: 'attempt', record: second },
    ]);
    expect(pushed.status).toBe(200);
    expect(pushed.body.results).toEqual([
      { kind: 'attempt', id: attempt.id, outcome: 'applied' },
      { kind: 'attempt', id: second.id, outcome: 'applied' },
    ]);

    const colleague = (await agentClient('Fatou Sow')).api;
    const pulled = await colleague.pullAll(start.cursor);
    const records = pulled.changes.filter((c: ChangeItem) => c.kind === 'attempt').map((c: any) => c.record);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      ...attempt,
      agentId: issued.agentId, // attributed to the token's agent, not the 'local:' id
      agentName: 'Awa Diallo',
      utcOffsetMin: 120, // the device's offset, as sent
      occurredAt: attempt.occurredAt, // the device's time, as sent
    });
    expect(Date.parse(records[0].receivedAt)).not.toBeNaN();
    expect(records[1]).toMatchObject({ id: second.id, status: 'failure', agentId: issued.agentId });
    expect(BigInt(pulled.cursor)).toBeGreaterThan(BigInt(start.cursor));
  });

  it.skipIf(skip)('treats a resent batch as duplicates and changes nothing', async () => {
    const { api } = await agentClient();
    const items = [
      { kind: 'attempt', record: attemptRecord({ clientCode: 'C1', deviceId: 'dev-b' }) },
      { kind: 'attempt', record: attemptRecord({ clientCode: 'C3', deviceId: 'dev-b' }) },
    ];
    expect((await api.push('dev-b', items)).body.results.map((r: any) => r.outcome)).toEqual(['applied', 'applied']);
    const before = await countRows(server.database.url);
    const again = await api.push('dev-b', items);
    expect(again.status).toBe(200);
    expect(again.body.results.map((r: any) => r.outcome)).toEqual(['duplicate', 'duplicate']);
    const after = await countRows(server.database.url);
    expect(after).toEqual(before);
  });

  it.skipIf(skip)('handles an id repeated inside one batch: first applied, then duplicate or conflict', async () => {
    const { api } = await agentClient();
    const record = attemptRecord({ clientCode: 'C1' });
    const answer = await api.push('dev-rep', [
      { kind: 'attempt', record },
      { kind: 'attempt', record },
      { kind: 'attempt', record: { ...record, channel: 'sms' } },
    ]);
    expect(answer.body.results.map((r: any) => r.outcome)).toEqual(['applied', 'duplicate', 'rejected']);
    expect(answer.body.results[2].error.code).toBe('attempt.conflict');
    const pulled = await api.pullAll();
    expect(pulled.changes.filter((c: any) => c.kind === 'attempt' && c.record.id === record.id)).toHaveLength(1);
  });

  it.skipIf(skip)('rejects the same attempt id with other content, and attempts for unknown clients', async () => {
    const { api } = await agentClient();
    const original = attemptRecord({ clientCode: 'C1' });
    await api.push('dev-c', [{ kind: 'attempt', record: original }]);
    const before = await countRows(server.database.url);
    const answer = await api.push('dev-c', [
      { kind: 'attempt', record: { ...original, status: 'failure' } },
      { kind: 'attempt', record: attemptRecord({ clientCode: 'NOPE-404' }) },
    ]);
    expect(answer.status).toBe(200);
    const [conflict, unknown] = answer.body.results;
    expect(conflict).toMatchObject({ outcome: 'rejected', id: original.id, error: { code: 'attempt.conflict' } });
    expect(unknown).toMatchObject({ outcome: 'rejected', error: { code: 'client.unknown' } });
    expect(unknown.error.message.fr).toContain('NOPE-404');
    const after = await countRows(server.database.url);
    expect(after.attempts).toBe(before.attempts);
    expect(after.changes).toBe(before.changes);
  });

  it.skipIf(skip)('applies voids by the author, in the same batch as the attempt or later', async () => {
    const { api } = await agentClient();
    const start = await api.pullAll();
    const attempt = attemptRecord({ clientCode: 'C2' });
    const voided = voidRecord({ attemptId: attempt.id, kind: 'undo', reason: 'Annulation immédiate par l’agent' });
    const answer = await api.push('dev-d', [
      { kind: 'attempt', record: attempt },
      { kind: 'void', record: voided },
    ]);
    expect(answer.body.results).toEqual([
      { kind: 'attempt', id: attempt.id, outcome: 'applied' },
      { kind: 'void', id: attempt.id, outcome: 'applied' },
    ]);
    expect((await api.push('dev-d', [{ kind: 'void', record: voided }])).body.results[0].outcome).toBe('duplicate');
    const other = await api.push('dev-d', [{ kind: 'void', record: { ...voided, reason: 'Autre motif' } }]);
    expect(other.body.results[0]).toMatchObject({ outcome: 'rejected', error: { code: 'attempt.conflict' } });

    const pulled = await api.pullAll(start.cursor);
    expect(pulled.changes.map((c: ChangeItem) => c.kind)).toEqual(['attempt', 'void']);
    expect(pulled.changes[1].record).toMatchObject({ attemptId: attempt.id, kind: 'undo', reason: voided.reason });
  });

  it.skipIf(skip)('keeps the history append-only in the database itself: attempts and voids refuse UPDATE and DELETE', async () => {
    const { api } = await agentClient();
    const attempt = attemptRecord({ clientCode: 'C3' });
    await api.push('dev-h', [
      { kind: 'attempt', record: attempt },
      { kind: 'void', record: voidRecord({ attemptId: attempt.id }) },
    ]);
    const sdb = await openServerDatabase(server.database.url, { migrate: false });
    try {
      const attempts = () => sdb.db.selectFrom('attempts').select(['id', 'status']).where('id', '=', attempt.id).execute();
      const before = await attempts();
      await expect(sdb.db.updateTable('attempts').set({ status: 'failure' }).where('id', '=', attempt.id).execute()).rejects.toThrow(/never updated nor deleted/);
      await expect(sdb.db.deleteFrom('voids').where('attempt_id', '=', attempt.id).execute()).rejects.toThrow(/never updated nor deleted/);
      await expect(sdb.db.deleteFrom('attempts').where('id', '=', attempt.id).execute()).rejects.toThrow(/never updated nor deleted/);
      expect(await attempts()).toEqual(before);
    } finally {
      await sdb.close();
    }
  });

  it.skipIf(skip)('rejects voids of unknown attempts and of another agent’s attempts', async () => {
    const author = await agentClient('Awa Diallo');
    const other = await agentClient('Fatou Sow');
    const attempt = attemptRecord({ clientCode: 'C1', agentId: author.issued.agentId });
    await author.api.push('dev-e', [{ kind: 'attempt', record: attempt }]);
    const before = await countRows(server.database.url);
    const answer = await other.api.push('dev-f', [
      { kind: 'void', record: voidRecord({ attemptId: attempt.id, agentId: other.issued.agentId }) },
      { kind: 'void', record: voidRecord({ attemptId: '01a21500-0000-7000-8000-000000000000' }) },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.results[0]).toMatchObject({ outcome: 'rejected', error: { code: 'agent.mismatch' } });
    expect(answer.body.results[1]).toMatchObject({ outcome: 'rejected', error: { code: 'attempt.unknown' } });
    const after = await countRows(server.database.url);
    expect(after.voids).toBe(before.voids);
    expect(after.changes).toBe(before.changes);
  });

  it.skipIf(skip)('refuses a whole batch claiming another agent (403) and writes nothing', async () => {
    const awa = await agentClient('Awa Diallo');
    const fatou = await agentClient('Fatou Sow');
    const before = await countRows(server.database.url);
    const answer = await awa.api.push('dev-g', [
      { kind: 'attempt', record: attemptRecord({ clientCode: 'C1' }) }, // fine on its own
      { kind: 'attempt', record: attemptRecord({ clientCode: 'C1', agentId: fatou.issued.agentId }) },
    ]);
    expectProtocolError(answer, 403, 'agent.mismatch');
    expect(answer.body.error.message.en).toContain('items.1.record.agentId');
    expect(await countRows(server.database.url)).toEqual(before);
  });

  it.skipIf(skip)('refuses missing, unknown and revoked tokens (401) and writes nothing', async () => {
    const { issued } = await agentClient();
    const items = [{ kind: 'attempt', record: attemptRecord({ clientCode: 'C1' }) }];
    const before = await countRows(server.database.url);

    expectProtocolError(await new ProtocolClient(server.url, null).push('dev-h', items), 401, 'auth.missing');
    expectProtocolError(await new ProtocolClient(server.url, 'ndk_not-a-real-token').push('dev-h', items), 401, 'auth.invalid');
    expectProtocolError(
      await new ProtocolClient(server.url, null, { authorization: 'Basic dXNlcjpwYXNz' }).push('dev-h', items),
      401,
      'auth.invalid',
    );
    await revokeToken(server.database.url, issued.token);
    expectProtocolError(await new ProtocolClient(server.url, issued.token).push('dev-h', items), 401, 'auth.revoked');
    expectProtocolError(await new ProtocolClient(server.url, issued.token).changes(), 401, 'auth.revoked');

    const after = await countRows(server.database.url);
    expect({ ...after, tokens: 0 }).toEqual({ ...before, tokens: 0 });
  });

  it.skipIf(skip)('refuses a missing or other protocol version (400)', async () => {
    const { api } = await agentClient();
    const before = await countRows(server.database.url);
    const items = [{ kind: 'attempt', record: attemptRecord({ clientCode: 'C1' }) }];
    const body = JSON.stringify({ protocol: 1, deviceId: 'dev-i', items });
    expectProtocolError(await api.request('POST', '/v1/push', { headers: { [protocolHeader]: '' }, body }), 400, 'protocol.unsupported');
    expectProtocolError(await api.request('POST', '/v1/push', { headers: { [protocolHeader]: '2' }, body }), 400, 'protocol.unsupported');
    expectProtocolError(await api.request('GET', '/v1/me', { headers: { [protocolHeader]: '0' } }), 400, 'protocol.unsupported');
    const body2 = JSON.stringify({ protocol: 2, deviceId: 'dev-i', items });
    expectProtocolError(await api.request('POST', '/v1/push', { body: body2 }), 400, 'protocol.unsupported');
    expect(await countRows(server.database.url)).toEqual(before);
  });

  it.skipIf(skip)('refuses malformed JSON, invalid fields (naming them) and oversized bodies, writing nothing', async () => {
    const { api } = await agentClient();
    const before = await countRows(server.database.url);

    expectProtocolError(await api.request('POST', '/v1/push', { body: '{"protocol":1,"deviceId":' }), 422, 'body.invalid');
    expectProtocolError(await api.request('POST', '/v1/push', { body: '' }), 422, 'body.invalid');
    expectProtocolError(
      await api.request('POST', '/v1/push', { headers: { 'content-type': 'text/plain' }, body: 'hello' }),
      422,
      'body.invalid',
    );

    expectProtocolError(await api.push('dev-j', []), 422, 'body.invalid');
    expectProtocolError(await api.push('dev-j\u0000', [{ kind: 'attempt', record: attemptRecord({ clientCode: 'C1' }) }]), 422, 'body.invalid');
    expectProtocolError(await api.request('POST', '/v1/push', { body: JSON.stringify({ protocol: 1, deviceId: 'dev-j', items: 'x' }) }), 422, 'body.invalid');

    const tooMany = Array.from({ length: pushLimits.maxItems + 1 }, () => ({ kind: 'attempt', record: attemptRecord({ clientCode: 'C1' }) }));
    expectProtocolError(await api.push('dev-j', tooMany), 422, 'body.invalid');

    const huge = JSON.stringify({ protocol: 1, deviceId: 'dev-j', items: [], padding: 'x'.repeat(pushLimits.maxBodyBytes) });
    expectProtocolError(await api.request('POST', '/v1/push', { body: huge }), 413, 'body.tooLarge');

    expectProtocolError(await api.changes('-1'), 422, 'body.invalid');
    expectProtocolError(await api.request('GET', '/v1/changes?cursor=0&limit=999999'), 422, 'body.invalid');
    expectProtocolError(await api.request('GET', '/v1/nowhere'), 404, 'not.found');

    expect(await countRows(server.database.url)).toEqual(before);
  });

  it.skipIf(skip)('pages changes with a cursor that never goes backwards', async () => {
    const { api } = await agentClient();
    const start = await api.pullAll();
    const records = Array.from({ length: 25 }, (_, i) => attemptRecord({ clientCode: `C${(i % 3) + 1}` }));
    await api.push('dev-k', records.map((record) => ({ kind: 'attempt', record })));
    const seen: string[] = [];
    let cursor = start.cursor;
    let pages = 0;
    for (;;) {
      const page = await api.changes(cursor, 10);
      expect(page.status).toBe(200);
      expect(BigInt(page.body.nextCursor)).toBeGreaterThanOrEqual(BigInt(cursor));
      seen.push(...page.body.changes.map((c: any) => c.record.id));
      cursor = page.body.nextCursor;
      pages++;
      if (!page.body.hasMore) break;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(records.map((r) => r.id));
    const empty = await api.changes(cursor);
    expect(empty.body).toMatchObject({ changes: [], hasMore: false, nextCursor: cursor });
  });

  it.skipIf(skip)('records the pushing device: first and last seen, counts', async () => {
    const { issued, api } = await agentClient('Ibrahim Traoré');
    await api.push('dev-count', [{ kind: 'attempt', record: attemptRecord({ clientCode: 'C1' }) }]);
    const attempt = attemptRecord({ clientCode: 'C2' });
    await api.push('dev-count', [
      { kind: 'attempt', record: attempt },
      { kind: 'void', record: voidRecord({ attemptId: attempt.id }) },
    ]);
    const { listDevices } = await import('../../server/index.ts');
    const device = (await listDevices(server.database.url)).find((d) => d.deviceId === 'dev-count');
    expect(device).toMatchObject({ attemptsPushed: 2, voidsPushed: 1 });
    expect(device!.agents).toEqual([expect.objectContaining({ agentId: issued.agentId, agentName: 'Ibrahim Traoré', attemptsPushed: 2, voidsPushed: 1 })]);
    expect(device!.lastSeen >= device!.firstSeen).toBe(true);
  });
});

describe.each(backends)('rate limit and logs on $backend', ({ backend, skip }) => {
  it.skipIf(skip)('answers 429 rate.limited with Retry-After, per token', async () => {
    const server = await startTestServer(backend, { rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const first = new ProtocolClient(server.url, (await server.agent('Awa Diallo')).token);
      const second = new ProtocolClient(server.url, (await server.agent('Fatou Sow')).token);
      for (let i = 0; i < 3; i++) expect((await first.me()).status).toBe(200);
      const limited = await first.me();
      expectProtocolError(limited, 429, 'rate.limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await second.me()).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it.skipIf(skip)('logs one JSON line per request with agent and device, and never a token', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const database = await createTestDatabase(backend);
    const { createAgent, putClients } = await import('../../server/index.ts');
    const server = await startServer({ db: database.url, logger: { stream } });
    try {
      const issued = await createAgent(database.url, 'Awa Diallo');
      await putClients(database.url, [testClient('C1')]);
      const api = new ProtocolClient(server.url, issued.token);
      await api.me();
      await api.push('dev-log', [{ kind: 'attempt', record: attemptRecord({ clientCode: 'C1' }) }]);
      await api.request('POST', '/v1/push', { body: '{broken' });
      await new ProtocolClient(server.url, `${issued.token}x`).me();
      await api.changes();

      const all = lines.join('\n');
      expect(all).not.toContain(issued.token);
      expect(all).not.toContain(issued.token.slice(4, 20));
      const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
      expect(requests).toHaveLength(5);
      expect(requests[1]).toMatchObject({ method: 'POST', route: '/v1/push', status: 200, agentId: issued.agentId, deviceId: 'dev-log' });
      expect(requests[1].durationMs).toEqual(expect.any(Number));
      expect(requests[2]).toMatchObject({ status: 422, agentId: issued.agentId });
      expect(requests[3]).toMatchObject({ status: 401, agentId: null });
    } finally {
      await server.close();
      await database.drop();
    }
  });

  it.skipIf(skip)('answers /health 503 server.unavailable when the database does not answer', async () => {
    const database = await createTestDatabase(backend);
    const sdb = await openServerDatabase(database.url);
    const app = await buildApp(sdb);
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address() as { port: number };
      const health = () => new ProtocolClient(`http://127.0.0.1:${address.port}`, null).request('GET', '/health');
      expect((await health()).status).toBe(200);
      if (backend === 'postgres') {
        // The database refuses connections and drops the ones the server holds.
        const name = new URL(database.url).pathname.slice(1);
        const admin = new pg.Client({ connectionString: postgresAdminUrl });
        await admin.connect();
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
        await admin.end();
      } else {
        // The embedded database's handle is gone (as after a fatal I/O error).
        await sdb.close();
      }
      expectProtocolError(await health(), 503, 'server.unavailable');
    } finally {
      await app.close();
      await sdb.close().catch(() => undefined);
      await database.drop();
    }
  });
});

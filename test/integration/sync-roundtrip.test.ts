// Devices and a real server (SQLite and PostgreSQL): what one device records reaches the others
// through push and pull, exactly once, with the same statuses everywhere.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { putClients } from '../../server/index.ts';
import { postgresUnavailableReason, ProtocolClient, startTestServer, testClient, type Backend, type TestServer } from '../helpers/server.ts';
import { TestDevice } from '../helpers/sync-device.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[sync-roundtrip] PostgreSQL tests skipped: ${pgReason}`);
const backends: Backend[] = pgReason ? ['sqlite'] : ['sqlite', 'postgres'];

describe.each(backends)('sync round trips on %s', (backend) => {
  let server: TestServer;
  const devices: TestDevice[] = [];

  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) await d.cleanup();
  });

  let clientSeq = 0;
  async function serverClients(n: number): Promise<string[]> {
    const codes = Array.from({ length: n }, () => `${backend.toUpperCase()}-${++clientSeq}`);
    await server.clients(codes.map((c) => testClient(c)));
    return codes;
  }

  async function device(agent: { token: string }): Promise<TestDevice> {
    const d = await TestDevice.create();
    devices.push(d);
    await d.enrol(server.url, agent.token);
    return d;
  }

  async function feedCounts(token: string): Promise<Map<string, number>> {
    const { changes } = await new ProtocolClient(server.url, token).pullAll('0', 5000);
    const counts = new Map<string, number>();
    for (const c of changes) if (c.kind === 'attempt') counts.set(c.record.id, (counts.get(c.record.id) ?? 0) + 1);
    return counts;
  }

  it('carries clicks and voids from one device to another, once, with the same statuses', async () => {
    const [c1, c2] = await serverClients(2);
    const awa = await server.agent('Awa Diallo');
    const marc = await server.agent('Marc Petit');
    const a = await device(awa);
    const b = await device(marc);
    await a.sync(); // clients first: the device can only click on a known client
    await b.sync();

    const first = await a.click(c1!, 'failure');
    await a.click(c1!, 'success', 'Rappel demain');
    const third = await a.click(c2!, 'success');
    await a.desk.voidAttempt({ attemptId: third.attempt.id, reason: 'Mauvais client' });
    const pushed = await a.sync();
    expect(pushed.push).toMatchObject({ applied: 4, rejected: 0 });

    const pulled = await b.sync();
    expect(pulled.pull).toMatchObject({ attempts: 3, voids: 1 });
    const sa = await a.snapshot();
    const sb = await b.snapshot();
    expect(sb.attempts).toEqual(sa.attempts);
    expect(sb.voids).toEqual(sa.voids);
    expect(sb.clients).toEqual(sa.clients);
    expect(sa.outbox).toEqual({ pending: 0, dead: 0 });
    expect(sb.clients.find((c) => c.code === c1)).toMatchObject({ status: 'success', count: 2 });
    expect(sb.clients.find((c) => c.code === c2)).toMatchObject({ status: null, count: 0 });
    // The server attributes the attempts to the token's agent, and names it to the others.
    const history = await b.desk.listHistory({ clientCode: c1!, limit: 10 });
    expect(history.items.map((i) => i.agentName)).toEqual(['Awa Diallo', 'Awa Diallo']);
    expect(history.items.at(-1)!.id).toBe(first.attempt.id);

    const counts = await feedCounts(awa.token);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(3);
  });

  it('re-pushing what the server already has changes nothing and empties the outbox', async () => {
    const [c1] = await serverClients(1);
    const agent = await server.agent();
    const a = await device(agent);
    await a.sync();
    await a.click(c1!);
    await a.click(c1!, 'failure');
    await a.sync();
    // The answer was lost: the same entries are queued again, as after a crash before the outbox update.
    const rows = await a.local.db.selectFrom('attempts').selectAll().where('device_id', '=', a.deviceId).execute();
    await a.local.db
      .insertInto('outbox')
      .values(rows.map((r) => ({ kind: 'attempt' as const, record_id: r.id, payload: JSON.stringify({
        id: r.id, clientCode: r.client_code, agentId: r.agent_id, agentName: r.agent_name, occurredAt: r.occurred_at,
        utcOffsetMin: r.utc_offset_min, status: r.status, channel: r.channel, note: r.note, deviceId: r.device_id,
      }), created_at: r.occurred_at, state: 'pending' as const })))
      .execute();
    const again = await a.sync();
    expect(again.push).toMatchObject({ applied: 0, duplicate: 2, rejected: 0 });
    expect((await a.snapshot()).outbox).toEqual({ pending: 0, dead: 0 });
    const counts = await feedCounts(agent.token);
    for (const r of rows) expect(counts.get(r.id)).toBe(1);
  });

  it('puts an attempt on a client the server does not know aside, and sends it once the client exists', async () => {
    const [known] = await serverClients(1);
    const agent = await server.agent();
    const a = await device(agent);
    const b = await device(await server.agent('Marc Petit'));
    await a.sync();
    const localOnly = `${backend}-LOCAL-${clientSeq++}`;
    await a.desk.importClients({ fileName: 'c.csv', content: `Code client;Nom\n${localOnly};Client du poste\n` });
    const orphan = await a.click(localOnly);
    await a.click(known!);

    const report = await a.sync();
    expect(report.push).toMatchObject({ applied: 1, rejected: 1 });
    const dead = await a.desk.listDeadLetters({});
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ kind: 'attempt', recordId: orphan.attempt.id, clientCode: localOnly });
    expect(dead[0]!.reason).toContain('Client inconnu du serveur');
    // The queue did not stop behind it.
    expect((await a.sync()).push.requests).toBe(0);

    await putClients(server.database.url, [testClient(localOnly, 'Client du poste')]);
    expect(await a.desk.retryDeadLetters({})).toEqual({ requeued: 1 });
    expect((await a.sync()).push).toMatchObject({ applied: 1, rejected: 0 });
    expect((await a.snapshot()).outbox).toEqual({ pending: 0, dead: 0 });
    await b.sync();
    const onB = await b.desk.getClient({ code: localOnly });
    expect(onB).toMatchObject({ status: 'success', attemptCount: 1, lastAttemptId: orphan.attempt.id });
  });

  it('applies a colleague’s void and recomputes the status from the remaining history', async () => {
    const [c1] = await serverClients(1);
    const a = await device(await server.agent('Awa Diallo'));
    const b = await device(await server.agent('Marc Petit'));
    await a.sync();
    await b.sync();
    await a.click(c1!, 'failure');
    const wrong = await a.click(c1!, 'success');
    await a.sync();
    await b.sync();
    expect(await b.desk.getClient({ code: c1! })).toMatchObject({ status: 'success', attemptCount: 2 });

    await a.desk.voidAttempt({ attemptId: wrong.attempt.id, reason: 'Le client n’a pas confirmé' });
    await a.sync();
    const report = await b.sync();
    expect(report.pull.voids).toBe(1);
    expect(await b.desk.getClient({ code: c1! })).toMatchObject({ status: 'failure', attemptCount: 1 });
    const history = await b.desk.listHistory({ clientCode: c1!, limit: 10 });
    expect(history.items[0]!.void).toMatchObject({ kind: 'void', reason: 'Le client n’a pas confirmé', agentName: 'Awa Diallo' });
  });

  it('an older attempt that arrives late never overrides a newer status', async () => {
    const [c1] = await serverClients(1);
    const late = await device(await server.agent('Awa Diallo'));
    const onTime = await device(await server.agent('Marc Petit'));
    const reader = await device(await server.agent('Lina Haddad'));
    for (const d of [late, onTime, reader]) await d.sync();

    late.clock.set('2026-11-26T09:00:00.000Z');
    const older = await late.click(c1!, 'failure'); // offline: stays in its outbox
    onTime.clock.set('2026-11-26T10:00:00.000Z');
    const newer = await onTime.click(c1!, 'success');
    await onTime.sync();
    await reader.sync();
    await late.sync(); // pushes the 09:00 failure after the 10:00 success, and pulls the success
    await reader.sync();
    await onTime.sync();

    for (const d of [late, onTime, reader]) {
      expect(await d.desk.getClient({ code: c1! })).toMatchObject({
        status: 'success',
        lastAttemptId: newer.attempt.id,
        attemptCount: 2,
      });
    }
    const history = await reader.desk.listHistory({ clientCode: c1!, limit: 10 });
    expect(history.items.map((i) => i.id)).toEqual([newer.attempt.id, older.attempt.id]);
  });

  it('attributes attempts made before enrolment to the token’s agent, and the device takes that agent on', async () => {
    const [c1] = await serverClients(1);
    const awa = await server.agent('Awa Diallo');
    const d = await TestDevice.create();
    devices.push(d);
    await d.desk.updateSettings({ agentName: 'Awa' });
    const before = (await d.desk.getSettings({})).agent!;
    expect(before.id.startsWith('local:')).toBe(true);
    await d.desk.importClients({ fileName: 'c.csv', content: `Code client;Nom\n${c1};Client ${c1}\n` });
    const offline = await d.click(c1!);
    expect(offline.attempt.agentId).toBe(before.id);

    await d.enrol(server.url, awa.token);
    expect((await d.desk.getSettings({})).agent).toEqual({ id: awa.agentId, name: 'Awa Diallo' });
    const report = await d.sync();
    expect(report.push).toMatchObject({ applied: 1, rejected: 0 });
    const online = await d.click(c1!);
    expect(online.attempt.agentId).toBe(awa.agentId);
    await d.sync();

    const other = await device(await server.agent('Marc Petit'));
    await other.sync();
    const history = await other.desk.listHistory({ clientCode: c1!, limit: 10 });
    expect(history.items.map((i) => i.agentId)).toEqual([awa.agentId, awa.agentId]);
  });
});

// Call-backs: "Rappeler…" with its quick choices, for me or the whole team; the worklist
// "À rappeler" (due now, overdue, later today, later); an attempt closes them; an agent's one left
// open past the site's delay becomes the team's; synced as their own records on SQLite and
// PostgreSQL, and sent only to desks that read them.

import { afterEach, describe, expect, it } from 'vitest';
import { DeskError, type CallbackList } from '../../contract/index.ts';
import { withSystemNotices } from '../../main/ipc.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { openTestDesk } from '../helpers/local-db.ts';
import { ProtocolClient, postgresUnavailableReason, startTestServer, testClient, type Backend } from '../helpers/server.ts';
import { TestDevice } from '../helpers/sync-device.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[callbacks] PostgreSQL cases skipped: ${pgReason}`);
const backends: Backend[] = pgReason ? ['sqlite'] : ['sqlite', 'postgres'];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const codes = (list: CallbackList) => ({
  dueNow: list.dueNow.map((c) => c.clientCode),
  overdue: list.overdue.map((c) => c.clientCode),
  laterToday: list.laterToday.map((c) => c.clientCode),
  later: list.later.map((c) => c.clientCode),
});

async function failsWith(work: unknown, code: string): Promise<void> {
  await expect(Promise.resolve(work)).rejects.toSatisfy((e: unknown) => e instanceof DeskError && e.code === code);
}

/** Local time of the device's day: quick choices read the desk's clock in its own time zone. */
function localAt(hour: number, minute = 0, dayOffset = 0): string {
  const d = new Date(2026, 10, 26 + dayOffset, hour, minute);
  return d.toISOString();
}

describe.each(backends)('call-backs on %s', (backend) => {
  async function setup() {
    const server = await startTestServer(backend);
    cleanups.push(() => server.stop());
    await server.clients(['C1', 'C2', 'C3', 'C4'].map((c) => testClient(c)));
    const awa = await server.agent('Awa Diallo');
    const marc = await server.agent('Marc Petit');
    const a = await TestDevice.create();
    cleanups.push(() => a.cleanup());
    const b = await TestDevice.create();
    cleanups.push(() => b.cleanup());
    await a.enrol(server.url, awa.token);
    await b.enrol(server.url, marc.token);
    a.clock.set(localAt(9));
    b.clock.set(localAt(9));
    await a.sync();
    await b.sync();
    return { server, a, b, awa, marc };
  }

  it('schedules by quick choice or date, lists them in four groups, refuses the past, and an attempt closes them', async () => {
    const { a } = await setup();
    await a.desk.scheduleCallback({ clientCode: 'C1', when: 'in1h', forTeam: false });
    await a.desk.scheduleCallback({ clientCode: 'C2', when: 'afternoon', forTeam: true });
    await a.desk.scheduleCallback({ clientCode: 'C3', when: 'tomorrowMorning', forTeam: false });
    const item = await a.desk.scheduleCallback({ clientCode: 'C4', when: { at: localAt(9, 30) }, forTeam: false });
    expect(item).toMatchObject({ clientCode: 'C4', mine: true, handedOver: false, scheduledBy: 'Awa Diallo' });
    await failsWith(a.desk.scheduleCallback({ clientCode: 'C4', when: { at: localAt(8) }, forTeam: false }), 'callback.past');
    await failsWith(a.desk.scheduleCallback({ clientCode: 'NOPE', when: 'in1h', forTeam: false }), 'client.notFound');

    let list = await a.desk.listCallbacks({});
    expect(codes(list)).toEqual({ dueNow: [], overdue: [], laterToday: ['C4', 'C1', 'C2'], later: ['C3'] });
    expect(list.laterToday.find((c) => c.clientCode === 'C2')).toMatchObject({ forAgentId: null, mine: false });
    expect(list.later[0]?.dueAt).toBe(localAt(9, 0, 1));

    a.clock.set(localAt(9, 35));
    expect(codes(await a.desk.listCallbacks({}))).toMatchObject({ dueNow: ['C4'], overdue: [] });
    a.clock.set(localAt(10, 10));
    expect(codes(await a.desk.listCallbacks({}))).toMatchObject({ dueNow: ['C1'], overdue: ['C4'] });

    // The call is made: the attempt closes the client's open call-back, as a 'done' event naming it.
    const attempt = await a.desk.recordAttempt({ clientCode: 'C1', status: 'failure' });
    list = await a.desk.listCallbacks({});
    expect(codes(list)).toMatchObject({ dueNow: [], overdue: ['C4'] });
    const done = await a.local.db.selectFrom('callback_events').selectAll().where('event', '=', 'done').execute();
    expect(done).toMatchObject([{ client_code: 'C1', attempt_id: attempt.attempt.id }]);

    await a.desk.cancelCallback({ callbackId: item.callbackId });
    await failsWith(a.desk.cancelCallback({ callbackId: item.callbackId }), 'callback.notFound');
    expect(codes(await a.desk.listCallbacks({}))).toEqual({ dueNow: [], overdue: [], laterToday: ['C2'], later: ['C3'] });
    // Events are facts: none is changed or removed.
    await expect(a.local.db.deleteFrom('callback_events').execute()).rejects.toThrow(/kept/);

    a.clock.set(localAt(13, 45));
    await failsWith(a.desk.scheduleCallback({ clientCode: 'C1', when: 'afternoon', forTeam: false }), 'callback.tooLate');
  });

  it('reach the other desks; the team’s at once, an agent’s once past the site’s delay; done on one desk, closed on all', async () => {
    const { server, a, b, awa } = await setup();
    await a.desk.scheduleCallback({ clientCode: 'C1', when: 'in1h', forTeam: true });
    const mine = await a.desk.scheduleCallback({ clientCode: 'C2', when: 'in1h', forTeam: false });
    const pushed = await a.sync();
    expect(pushed.server.features).toContain('record.callback');
    expect(pushed.push).toMatchObject({ applied: 2, rejected: 0 });
    await b.sync();
    expect(codes(await b.desk.listCallbacks({})).laterToday).toEqual(['C1']);

    // Awa's own call-back, open 60 minutes past due: Marc sees it, marked as handed over.
    b.clock.set(localAt(11, 1));
    const late = await b.desk.listCallbacks({});
    expect(late.handoverMinutes).toBe(60);
    expect(late.overdue.map((c) => [c.clientCode, c.handedOver])).toEqual([
      ['C1', false],
      ['C2', true],
    ]);
    await b.desk.recordAttempt({ clientCode: 'C2', status: 'success' });
    // The attempt and the 'done' event of the call-back it closed.
    expect((await b.sync()).push).toMatchObject({ applied: 2, rejected: 0 });
    a.clock.set(localAt(11, 2));
    await a.sync();
    expect(codes(await a.desk.listCallbacks({}))).toEqual({ dueNow: [], overdue: ['C1'], laterToday: [], later: [] });

    const sdb = await openServerDatabase(server.database.url, { poolSize: 1, migrate: false });
    try {
      const events = await sdb.db.selectFrom('callback_events').select(['event', 'callback_id']).orderBy('id').execute();
      expect(events.map((e) => e.event).sort()).toEqual(['done', 'scheduled', 'scheduled']);
    } finally {
      await sdb.close();
    }

    // A re-send is a duplicate; the same id with other content is refused; a pull without the kind gets none.
    const http = new ProtocolClient(server.url, awa.token);
    const row = await a.local.db.selectFrom('callback_events').selectAll().where('id', '=', mine.callbackId).executeTakeFirstOrThrow();
    const record = {
      id: row.id,
      callbackId: row.callback_id,
      event: row.event,
      clientCode: row.client_code,
      dueAt: row.due_at,
      forAgentId: row.for_agent_id,
      attemptId: row.attempt_id,
      agentId: row.agent_id,
      agentName: row.agent_name,
      at: row.at,
      utcOffsetMin: row.utc_offset_min,
      deviceId: row.device_id,
    };
    expect((await http.push(a.deviceId, [{ kind: 'callback', record }])).body.results[0]).toMatchObject({ outcome: 'duplicate' });
    const changed = await http.push(a.deviceId, [{ kind: 'callback', record: { ...record, dueAt: localAt(16) } }]);
    expect(changed.body.results[0]).toMatchObject({ outcome: 'rejected', error: { code: 'attempt.conflict' } });
    const incoherent = await http.push(a.deviceId, [{ kind: 'callback', record: { ...record, id: crypto.randomUUID(), dueAt: null } }]);
    expect(incoherent.body.results[0]).toMatchObject({ outcome: 'rejected', error: { code: 'record.invalid' } });
    const plain = await http.request('GET', '/v1/changes?cursor=0');
    expect(plain.body.changes.filter((c: { kind: string }) => c.kind === 'callback')).toEqual([]);
    const declared = await http.request('GET', '/v1/changes?cursor=0', { headers: { 'x-desk-kinds': 'callback, later-kind' } });
    expect(declared.body.changes.filter((c: { kind: string }) => c.kind === 'callback')).toHaveLength(3);
    expect((await a.snapshot()).outbox).toEqual({ pending: 0, dead: 0 });
    expect(await a.unknownCount()).toBe(0);
  });
});

describe('the notice when a call-back falls due', () => {
  it('goes to the desktop host as a system notification (name and code only), never to the page; elsewhere the page shows its own', async () => {
    const events: { event: string; payload: unknown }[] = [];
    const shown: { title: string; body: string }[] = [];
    const emit = withSystemNotices((event, payload) => events.push({ event, payload }), (notice) => shown.push(notice));
    const app = await openTestDesk({ emit, systemNotices: true });
    cleanups.push(() => app.cleanup());
    await app.desk.seedDemoClients({ count: 2 });
    const code = (await app.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items[0]!;
    const item = await app.desk.scheduleCallback({ clientCode: code.code, when: 'in1h', forTeam: false });
    // Not due yet: nothing said.
    expect(await app.desk.notifyCallback({ callbackId: item.callbackId })).toEqual({ shown: false });
    app.clock.advance(3600_000);
    expect(await app.desk.notifyCallback({ callbackId: item.callbackId })).toEqual({ shown: true });
    expect(shown).toEqual([{ title: 'Rappel à faire', body: `${code.name} (${code.code})` }]);
    expect(events.filter((e) => e.event === 'callbackDue')).toEqual([]);

    const web = await openTestDesk();
    cleanups.push(() => web.cleanup());
    await web.desk.seedDemoClients({ count: 1 });
    const other = (await web.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items[0]!;
    const due = await web.desk.scheduleCallback({ clientCode: other.code, when: { at: web.clock.now().toISOString() }, forTeam: true });
    expect(await web.desk.notifyCallback({ callbackId: due.callbackId })).toEqual({ shown: false });
  });
});

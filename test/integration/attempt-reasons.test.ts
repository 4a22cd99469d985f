// Why an attempt ended: picked before the click or within the undo window after it, kept as its own
// record beside the attempt (which never changes), synced under feature 'attempt.reason' on SQLite
// and PostgreSQL, shown in history, counters and export. A reason code this desk does not know
// (a site's own) is kept and shown as it is.

import { afterEach, describe, expect, it } from 'vitest';
import { DeskError, defaultReasons, limits, type ReasonDefinition } from '../../contract/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';
import { ProtocolClient, postgresUnavailableReason, startTestServer, testClient, type Backend } from '../helpers/server.ts';
import { TestDevice } from '../helpers/sync-device.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[attempt-reasons] PostgreSQL cases skipped: ${pgReason}`);
const backends: Backend[] = pgReason ? ['sqlite'] : ['sqlite', 'postgres'];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function desk(): Promise<TestDesk> {
  const d = await openTestDesk();
  cleanups.push(() => d.cleanup());
  await d.desk.seedDemoClients({ count: 3 });
  return d;
}

async function firstCode(d: TestDesk): Promise<string> {
  return (await d.desk.searchClients({ query: '', status: 'all', offset: 0, limit: 1 })).items[0]!.code;
}

async function failsWith(work: unknown, code: string): Promise<void> {
  await expect(Promise.resolve(work)).rejects.toSatisfy((e: unknown) => e instanceof DeskError && e.code === code);
}

async function serverReasons(url: string): Promise<{ attempt_id: string; code: string; agent_id: string }[]> {
  const sdb = await openServerDatabase(url, { poolSize: 1, migrate: false });
  try {
    return await sdb.db.selectFrom('attempt_reasons').select(['attempt_id', 'code', 'agent_id']).orderBy('attempt_id').execute();
  } finally {
    await sdb.close();
  }
}

describe('on the desk', () => {
  it('takes a reason before the click, or within the undo window after it, never changing the attempt', async () => {
    const d = await desk();
    const code = await firstCode(d);
    const before = await d.desk.recordAttempt({ clientCode: code, status: 'failure', reason: 'no-answer' });
    expect(before.attempt.reason).toBe('no-answer');

    d.clock.advance(60_000);
    const plain = await d.desk.recordAttempt({ clientCode: code, status: 'failure' });
    expect(plain.attempt.reason).toBeNull();
    d.clock.advance((limits.undoSeconds - 1) * 1000);
    const after = await d.desk.giveReason({ attemptId: plain.attempt.id, code: 'wrong-number' });
    expect(after.attempt.reason).toBe('wrong-number');
    // The attempt row is as it was written: the reason is a row of its own.
    const row = await d.local.db.selectFrom('attempts').selectAll().where('id', '=', plain.attempt.id).executeTakeFirstOrThrow();
    expect(row).not.toHaveProperty('reason');
    await expect(d.local.db.updateTable('attempt_reasons').set({ code: 'busy' }).execute()).rejects.toThrow(/first reason/);

    const history = await d.desk.listHistory({ clientCode: code, limit: 10 });
    expect(history.items.map((a) => a.reason)).toEqual(['wrong-number', 'no-answer']);

    // The outbox carries the attempt, then its reason, as its own record.
    const outbox = await d.local.db.selectFrom('outbox').select(['kind', 'record_id']).orderBy('seq').execute();
    expect(outbox.map((o) => o.kind)).toEqual(['attempt', 'reason', 'attempt', 'reason']);
  });

  it('refuses a reason after the window, a second reason and a reason of the other result', async () => {
    const d = await desk();
    const code = await firstCode(d);
    const late = await d.desk.recordAttempt({ clientCode: code, status: 'failure' });
    d.clock.advance(limits.undoSeconds * 1000 + 1);
    await failsWith(d.desk.giveReason({ attemptId: late.attempt.id, code: 'busy' }), 'reason.expired');

    const given = await d.desk.recordAttempt({ clientCode: code, status: 'failure', reason: 'busy' });
    await failsWith(d.desk.giveReason({ attemptId: given.attempt.id, code: 'no-answer' }), 'reason.alreadyGiven');

    await failsWith(d.desk.recordAttempt({ clientCode: code, status: 'success', reason: 'wrong-number' }), 'reason.wrongStatus');
    const fresh = await d.desk.recordAttempt({ clientCode: code, status: 'success' });
    await failsWith(d.desk.giveReason({ attemptId: fresh.attempt.id, code: 'busy' }), 'reason.wrongStatus');
  });

  it('counts today’s attempts by reason (voided ones left out) and exports the reason’s words', async () => {
    const d = await desk();
    const code = await firstCode(d);
    await d.desk.recordAttempt({ clientCode: code, status: 'failure', reason: 'no-answer' });
    d.clock.advance(1000);
    await d.desk.recordAttempt({ clientCode: code, status: 'failure', reason: 'no-answer' });
    d.clock.advance(1000);
    const undone = await d.desk.recordAttempt({ clientCode: code, status: 'failure', reason: 'busy' });
    await d.desk.undoAttempt({ attemptId: undone.attempt.id });
    d.clock.advance(1000);
    // A site's own code, unknown to this desk's list: taken, counted and written as it is.
    await d.desk.recordAttempt({ clientCode: code, status: 'success', reason: 'site.callback-ok' });
    expect((await d.desk.todayCounts({})).byReason).toEqual([
      { code: 'no-answer', count: 2 },
      { code: 'site.callback-ok', count: 1 },
    ]);

    const fr = await d.desk.exportHistory({ format: 'csv' });
    const lines = fr.content.replace('\uFEFF', '').trim().split('\r\n');
    const header = lines[0]!.split(';');
    const column = header.indexOf('Motif');
    expect(column).toBe(header.indexOf('Résultat') + 1);
    expect(lines.slice(1).map((l) => l.split(';')[column])).toEqual(['Pas de réponse', 'Pas de réponse', 'Occupé', 'site.callback-ok']);
    await d.desk.updateSettings({ locale: 'en' });
    const en = await d.desk.exportHistory({ format: 'csv' });
    const enLines = en.content.replace('\uFEFF', '').trim().split('\r\n');
    const enColumn = enLines[0]!.split(';').indexOf('Reason');
    expect(enLines.slice(1).map((l) => l.split(';')[enColumn])).toEqual(['No answer', 'No answer', 'Busy', 'site.callback-ok']);
  });

  it('offers the default reasons, each with its result and both languages', async () => {
    const d = await desk();
    const { reasons } = await d.desk.getSettings({});
    expect(reasons.map((r) => r.label.fr)).toEqual([
      'Pas de réponse',
      'Occupé',
      'Messagerie (message laissé)',
      'Messagerie (pas de message)',
      'Faux numéro',
      'Numéro non attribué',
      'Refus de l’échange',
      'Joint en personne',
      'Message transmis à un proche',
    ]);
    expect(reasons.filter((r) => r.status === 'success').map((r) => r.code)).toEqual(['reached', 'relative']);
    expect(reasons.find((r) => r.code === 'wrong-number')?.retry).toEqual({ kind: 'stop', flag: true });
  });
});

describe.each(backends)('over sync on %s', (backend) => {
  it('travels as its own record, after its attempt, and reaches the other desks with the attempt', async () => {
    const server = await startTestServer(backend);
    cleanups.push(() => server.stop());
    await server.clients([testClient('R1'), testClient('R2')]);
    const awa = await server.agent('Awa Diallo');
    const marc = await server.agent('Marc Petit');
    const a = await TestDevice.create();
    cleanups.push(() => a.cleanup());
    const b = await TestDevice.create();
    cleanups.push(() => b.cleanup());
    await a.enrol(server.url, awa.token);
    await b.enrol(server.url, marc.token);
    await a.sync();
    await b.sync();

    const before = await a.click('R1', 'failure', undefined, 'no-answer');
    const plain = await a.click('R2', 'failure');
    const first = await a.sync();
    expect(first.server.features).toContain('attempt.reason');
    expect(first.push).toMatchObject({ applied: 3, rejected: 0 });
    await b.sync();
    expect(await b.reasons()).toEqual({ [before.attempt.id]: 'no-answer' });

    // Given after the click, once the attempt is already on the server: the attempt comes again, with it.
    a.clock.advance(2000);
    await a.desk.giveReason({ attemptId: plain.attempt.id, code: 'busy' });
    expect((await a.sync()).push).toMatchObject({ applied: 1, rejected: 0 });
    const pulled = await b.sync();
    expect(pulled.pull.unknown).toBe(0);
    expect(await b.reasons()).toEqual({ [before.attempt.id]: 'no-answer', [plain.attempt.id]: 'busy' });
    expect((await b.desk.listHistory({ clientCode: 'R2', limit: 5 })).items[0]?.reason).toBe('busy');
    expect(await serverReasons(server.database.url)).toHaveLength(2);

    // A re-send is a duplicate; another reason for the same attempt is refused, the first one stands.
    const http = new ProtocolClient(server.url, awa.token);
    const sent = {
      attemptId: plain.attempt.id,
      code: 'busy',
      agentId: plain.attempt.agentId,
      agentName: 'Awa Diallo',
      chosenAt: a.clock.now().toISOString(),
      utcOffsetMin: 0,
      deviceId: a.deviceId,
    };
    const stored = (await serverReasons(server.database.url)).find((r) => r.attempt_id === plain.attempt.id)!;
    expect(stored.code).toBe('busy');
    const other = await http.push(a.deviceId, [{ kind: 'reason', record: { ...sent, code: 'no-answer' } }]);
    expect(other.body.results[0]).toMatchObject({ kind: 'reason', outcome: 'rejected', error: { code: 'attempt.conflict' } });
    // Marc may not give Awa's attempt a reason.
    const foreign = await new ProtocolClient(server.url, marc.token).push(b.deviceId, [
      { kind: 'reason', record: { ...sent, agentId: (await b.desk.getSettings({})).agent!.id } },
    ]);
    expect(foreign.body.results[0]).toMatchObject({ outcome: 'rejected', error: { code: 'agent.mismatch' } });
    // A reason whose code is no code is refused for itself.
    const bad = await http.push(a.deviceId, [{ kind: 'reason', record: { ...sent, code: 'Pas de réponse' } }]);
    expect(bad.body.results[0]).toMatchObject({ outcome: 'rejected', error: { code: 'record.invalid' } });
    expect((await a.snapshot()).outbox).toEqual({ pending: 0, dead: 0 });
  });

  it('sends the site’s own reason list, which the desk then offers; a list it cannot read leaves the defaults', async () => {
    const site: ReasonDefinition[] = [
      { code: 'absent', status: 'failure', label: { fr: 'Absent du domicile', en: 'Not at home' }, retry: { kind: 'again', afterMinutes: 60, maxAttempts: 3 } },
      { code: 'signed', status: 'success', label: { fr: 'Avis signé', en: 'Notice signed' }, retry: { kind: 'stop', flag: false } },
    ];
    const server = await startTestServer(backend, { reasons: site });
    cleanups.push(() => server.stop());
    const awa = await server.agent('Awa Diallo');
    const a = await TestDevice.create();
    cleanups.push(() => a.cleanup());
    await a.enrol(server.url, awa.token);
    expect((await a.desk.getSettings({})).reasons).toEqual(defaultReasons);
    await a.sync();
    expect((await a.desk.getSettings({})).reasons).toEqual(site);
  });
});

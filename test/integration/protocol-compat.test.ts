// Older and newer side by side, both ways, on SQLite and PostgreSQL: a desk of the previous release
// against this server, and this desk against the previous release's server. Nothing may stop, be
// dead-lettered or be lost (docs/sync-protocol.md, "Growing the protocol").

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countOutbox } from '../../db/outbox.ts';
import { importPrevious, previousRelease, previousReleaseUnavailableReason } from '../helpers/previous-release.ts';
import { countRows, createTestDatabase, postgresUnavailableReason, startTestServer, testClient, type Backend, type TestDatabase } from '../helpers/server.ts';
import { TestDevice, type DeviceSnapshot } from '../helpers/sync-device.ts';

type PreviousDevice = {
  create(): Promise<{
    enrol(url: string, token: string): Promise<void>;
    sync(options?: { serverUrl?: string }): Promise<unknown>;
    click(code: string, status?: 'success' | 'failure', note?: string): Promise<{ attempt: { id: string } }>;
    desk: { voidAttempt(input: { attemptId: string; reason: string }): Promise<unknown> };
    snapshot(): Promise<DeviceSnapshot>;
    cleanup(): Promise<void>;
  }>;
};
type PreviousServer = {
  startServer(options: { db: string; port?: number }): Promise<{ url: string; close(): Promise<void> }>;
  createAgent(db: string, name: string): Promise<{ token: string }>;
  putClients(db: string, clients: ReturnType<typeof testClient>[]): Promise<unknown>;
};

const gitReason = previousReleaseUnavailableReason();
if (gitReason) console.warn(`[protocol-compat] skipped: ${gitReason}`);
const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[protocol-compat] PostgreSQL cases skipped: ${pgReason}`);
const backends: Backend[] = pgReason ? ['sqlite'] : ['sqlite', 'postgres'];

const withoutDevice = (s: DeviceSnapshot) => ({
  attempts: s.attempts.map(({ deviceId: _d, ...a }) => a),
  voids: s.voids,
  clients: s.clients,
});

describe.skipIf(gitReason !== null).each(backends)(`this release and the previous one (${previousRelease}) on %s`, (backend) => {
  let PreviousTestDevice: PreviousDevice;
  let previousServer: PreviousServer;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    PreviousTestDevice = (await importPrevious<{ TestDevice: PreviousDevice }>('test/helpers/sync-device.ts')).TestDevice;
    previousServer = await importPrevious<PreviousServer>('server/index.ts');
  }, 60_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a desk of the previous release keeps syncing with this server, beside a desk of this one', async () => {
    const server = await startTestServer(backend);
    cleanups.push(() => server.stop());
    await server.clients([testClient('K1'), testClient('K2')]);
    const awa = await server.agent('Awa Diallo');
    const marc = await server.agent('Marc Petit');
    const older = await PreviousTestDevice.create();
    cleanups.push(() => older.cleanup());
    const newer = await TestDevice.create();
    cleanups.push(() => newer.cleanup());
    await older.enrol(server.url, awa.token);
    await newer.enrol(server.url, marc.token);
    await older.sync();
    await newer.sync();

    await older.click('K1', 'failure', 'Messagerie');
    const voided = await older.click('K2');
    await older.desk.voidAttempt({ attemptId: voided.attempt.id, reason: 'Mauvais client' });
    // Reasons, before the click and after it: the older desk meets attempts that carry one.
    await newer.click('K1', 'success', undefined, 'reached');
    const later = await newer.click('K2', 'failure');
    await newer.sync({ appVersion: '9.9.9' });
    await older.sync();
    await newer.desk.giveReason({ attemptId: later.attempt.id, code: 'no-answer' });
    // Call-backs: the older desk never names the kind, so the server never sends it one.
    await newer.desk.scheduleCallback({ clientCode: 'K1', when: 'in1h', forTeam: true });
    await newer.desk.scheduleCallback({ clientCode: 'K2', when: 'tomorrowMorning', forTeam: false });
    await newer.sync({ appVersion: '9.9.9' });
    await older.sync();
    await newer.sync({ appVersion: '9.9.9' });
    await older.sync();

    const o = await older.snapshot();
    const n = await newer.snapshot();
    expect(o.outbox).toEqual({ pending: 0, dead: 0 });
    expect(n.outbox).toEqual({ pending: 0, dead: 0 });
    expect(o.attempts).toHaveLength(4);
    expect(withoutDevice(o)).toEqual(withoutDevice(n));
    expect(Object.values(await newer.reasons()).sort()).toEqual(['no-answer', 'reached']);
    expect((await newer.desk.listCallbacks({})).laterToday.map((c) => c.clientCode)).toEqual(['K1']);
    expect(await countRows(server.database.url)).toMatchObject({ attempts: 4, voids: 1 });
  });

  it('this desk keeps syncing with a server of the previous release, sending nothing it has not listed', async () => {
    const database: TestDatabase = await createTestDatabase(backend);
    cleanups.push(() => database.drop());
    const server = await previousServer.startServer({ db: database.url, port: 0 });
    cleanups.push(() => server.close());
    await previousServer.putClients(database.url, [testClient('P1'), testClient('P2')]);
    const awa = await previousServer.createAgent(database.url, 'Awa Diallo');
    const marc = await previousServer.createAgent(database.url, 'Marc Petit');
    const newer = await TestDevice.create();
    cleanups.push(() => newer.cleanup());
    const older = await PreviousTestDevice.create();
    cleanups.push(() => older.cleanup());
    await newer.enrol(server.url, awa.token);
    await older.enrol(server.url, marc.token);
    await newer.sync();
    await older.sync();

    await newer.click('P1', 'failure', undefined, 'busy');
    const voided = await newer.click('P2', 'success', 'Rappeler après 14 h');
    await newer.desk.giveReason({ attemptId: voided.attempt.id, code: 'relative' });
    await newer.desk.voidAttempt({ attemptId: voided.attempt.id, reason: 'Erreur' });
    await newer.desk.scheduleCallback({ clientCode: 'P1', when: 'in1h', forTeam: true });
    await older.click('P1', 'success');
    const report = await newer.sync({ appVersion: '9.9.9' });
    expect(report.server).toEqual({ features: [], changed: false, requeued: 0 });
    // The reasons are not sent to a server that does not list 'attempt.reason'.
    expect(report.push).toMatchObject({ applied: 3, rejected: 0 });
    await older.sync();
    await newer.sync({ appVersion: '9.9.9' });

    const n = await newer.snapshot();
    const o = await older.snapshot();
    // Reasons and call-backs wait, kept, for a server that takes them: not refused, not counted as waiting.
    expect(await countOutbox(newer.local.db)).toEqual({ pending: 0, dead: 0 });
    expect(n.outbox).toEqual({ pending: 3, dead: 0 });
    expect((await newer.local.db.selectFrom('outbox').select('kind').orderBy('seq').execute()).map((o) => o.kind)).toEqual(['reason', 'reason', 'callback']);
    expect(Object.values(await newer.reasons()).sort()).toEqual(['busy', 'relative']);
    expect(withoutDevice(n)).toEqual(withoutDevice(o));
    expect(await countRows(database.url)).toMatchObject({ attempts: 3, voids: 1 });
    expect(n.attempts).toHaveLength(3);
  });
});

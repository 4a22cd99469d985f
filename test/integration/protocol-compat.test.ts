// Older and newer side by side, both ways, on SQLite and PostgreSQL: a desk of an earlier release
// against this server, and this desk against that release's server, for the last release before the
// protocol could grow and for the release in service today. Nothing may stop, be
// dead-lettered or be lost (docs/sync-protocol.md, "Growing the protocol").

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countOutbox } from '../../db/outbox.ts';
import { importPrevious, lastLanding, previousRelease, previousReleaseUnavailableReason } from '../helpers/previous-release.ts';
import { countRows, createTestDatabase, postgresUnavailableReason, startTestServer, testClient, type Backend, type TestDatabase } from '../helpers/server.ts';
import { TestDevice, type DeviceSnapshot } from '../helpers/sync-device.ts';

type PreviousDevice = {
  create(): Promise<{
    enrol(url: string, token: string): Promise<void>;
    sync(options?: { serverUrl?: string }): Promise<unknown>;
    click(code: string, status?: 'success' | 'failure', note?: string, reason?: string): Promise<{ attempt: { id: string } }>;
    reasons(): Promise<Record<string, string>>;
    desk: {
      voidAttempt(input: { attemptId: string; reason: string }): Promise<unknown>;
      scheduleCallback(input: { clientCode: string; when: string; forTeam: boolean }): Promise<unknown>;
      listCallbacks(input: object): Promise<{ laterToday: { clientCode: string }[] }>;
    };
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

// The release in service today already lists features, reasons and call-backs: everything but agent
// sign-in must pass between it and this one, with nothing refused, dead-lettered or left waiting.
describe.skipIf(gitReason !== null).each(backends)(`this release and the one in service (${lastLanding}) on %s`, (backend) => {
  let ServingTestDevice: PreviousDevice;
  let servingServer: PreviousServer;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    ServingTestDevice = (await importPrevious<{ TestDevice: PreviousDevice }>('test/helpers/sync-device.ts', lastLanding)).TestDevice;
    servingServer = await importPrevious<PreviousServer>('server/index.ts', lastLanding);
  }, 60_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a desk in service keeps syncing with this server: reasons and call-backs both ways', async () => {
    const server = await startTestServer(backend);
    cleanups.push(() => server.stop());
    await server.clients([testClient('S1'), testClient('S2')]);
    const awa = await server.agent('Awa Diallo');
    const marc = await server.agent('Marc Petit');
    const serving = await ServingTestDevice.create();
    cleanups.push(() => serving.cleanup());
    const newer = await TestDevice.create();
    cleanups.push(() => newer.cleanup());
    await serving.enrol(server.url, awa.token);
    await newer.enrol(server.url, marc.token);
    await serving.sync();
    await newer.sync();

    await serving.click('S1', 'failure', undefined, 'busy');
    await serving.desk.scheduleCallback({ clientCode: 'S1', when: 'in1h', forTeam: true });
    const voided = await newer.click('S2', 'success', undefined, 'reached');
    await newer.desk.voidAttempt({ attemptId: voided.attempt.id, reason: 'Mauvais client' });
    await newer.click('S2', 'failure', undefined, 'no-answer');
    for (let round = 0; round < 2; round++) {
      await serving.sync();
      await newer.sync({ appVersion: '9.9.9' });
    }

    const o = await serving.snapshot();
    const n = await newer.snapshot();
    expect(o.outbox).toEqual({ pending: 0, dead: 0 });
    expect(n.outbox).toEqual({ pending: 0, dead: 0 });
    expect(withoutDevice(o)).toEqual(withoutDevice(n));
    expect(Object.values(await serving.reasons()).sort()).toEqual(['busy', 'no-answer', 'reached']);
    expect((await newer.desk.listCallbacks({})).laterToday.map((c) => c.clientCode)).toEqual(['S1']);
    expect(await countRows(server.database.url)).toMatchObject({ attempts: 3, voids: 1 });
  });

  it('this desk keeps syncing with a server in service, which lists no agent sign-in', async () => {
    const database: TestDatabase = await createTestDatabase(backend);
    cleanups.push(() => database.drop());
    const server = await servingServer.startServer({ db: database.url, port: 0 });
    cleanups.push(() => server.close());
    await servingServer.putClients(database.url, [testClient('T1'), testClient('T2')]);
    const awa = await servingServer.createAgent(database.url, 'Awa Diallo');
    const marc = await servingServer.createAgent(database.url, 'Marc Petit');
    const newer = await TestDevice.create();
    cleanups.push(() => newer.cleanup());
    const serving = await ServingTestDevice.create();
    cleanups.push(() => serving.cleanup());
    await newer.enrol(server.url, awa.token);
    await serving.enrol(server.url, marc.token);
    await newer.sync();
    await serving.sync();

    await newer.click('T1', 'failure', undefined, 'busy');
    await newer.desk.scheduleCallback({ clientCode: 'T1', when: 'in1h', forTeam: true });
    await serving.click('T2', 'success', undefined, 'reached');
    const report = await newer.sync({ appVersion: '9.9.9' });
    expect(report.server?.features).not.toContain('agent.signIn');
    expect(report.push).toMatchObject({ rejected: 0 });
    await serving.sync();
    await newer.sync({ appVersion: '9.9.9' });
    await serving.sync();

    const n = await newer.snapshot();
    const o = await serving.snapshot();
    expect(n.outbox).toEqual({ pending: 0, dead: 0 });
    expect(o.outbox).toEqual({ pending: 0, dead: 0 });
    expect(withoutDevice(n)).toEqual(withoutDevice(o));
    expect(Object.values(await newer.reasons()).sort()).toEqual(['busy', 'reached']);
    expect((await serving.desk.listCallbacks({})).laterToday.map((c) => c.clientCode)).toEqual(['T1']);
    expect(await countRows(database.url)).toMatchObject({ attempts: 2 });
  });
});

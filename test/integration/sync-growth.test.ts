// The device against servers newer and buggier than itself, over real HTTP: nothing a server
// sends or fails on may stop the pull or block the queue (docs/sync-protocol.md, "Growing the
// protocol"). Scripted servers stand in for what the real one cannot produce yet; the restore and
// the change of server run against the real one.

import { copyFileSync, rmSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countUnknownChanges } from '../../db/sync-unknown.ts';
import { getServerEpoch, getSyncNotice } from '../../db/sync-meta.ts';
import { createAgent, putClients, startServer } from '../../server/index.ts';
import { SyncFailure } from '../../sync/http.ts';
import { pushResults, startFixtureServer, type FixtureHandler, type FixtureServer } from '../helpers/fixture-server.ts';
import { tempDir } from '../helpers/local-db.ts';
import { countRows, testClient } from '../helpers/server.ts';
import { TestDevice } from '../helpers/sync-device.ts';

const now = '2026-12-01T09:00:00.000Z';
const client = (code: string) => ({
  kind: 'client',
  record: { code, name: `Client ${code}`, phones: [], email: null, city: null, address: null, extra: {}, updatedAt: now },
});
const attempt = (id: string, clientCode: string, extra: Record<string, unknown> = {}) => ({
  kind: 'attempt',
  record: {
    id,
    clientCode,
    agentId: 'agent-marc',
    agentName: 'Marc Petit',
    occurredAt: now,
    utcOffsetMin: 60,
    status: 'failure',
    channel: 'phone',
    note: null,
    deviceId: 'desk-marc',
    receivedAt: now,
    ...extra,
  },
});
const me = (features: readonly string[], serverEpoch?: string) => ({
  agentId: 'agent-awa',
  agentName: 'Awa Diallo',
  serverTime: now,
  features,
  ...(serverEpoch ? { serverEpoch } : {}),
});
const page = (changes: unknown[], nextCursor: string, hasMore = false) => ({ changes, nextCursor, hasMore, serverTime: now });

const ids = {
  known: '0193a1b2-0000-7000-8000-000000000001',
  withField: '0193a1b2-0000-7000-8000-000000000002',
  newStatus: '0193a1b2-0000-7000-8000-000000000003',
  after: '0193a1b2-0000-7000-8000-000000000004',
};

describe('a device meeting a newer or failing server', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fixture(handle: FixtureHandler): Promise<FixtureServer> {
    const server = await startFixtureServer(handle);
    cleanups.push(() => server.close());
    return server;
  }

  async function device(url: string): Promise<TestDevice> {
    const d = await TestDevice.create();
    cleanups.push(() => d.cleanup());
    await d.enrol(url, 'token-awa');
    return d;
  }

  it('keeps what it cannot read (a new kind, a new value), reads the rest, and never stops the pull', async () => {
    const server = await fixture(({ path }) => {
      if (path === '/v1/me') return { body: me(['epoch', 'a-feature-from-2030']) };
      if (path.startsWith('/v1/changes?cursor=0&')) {
        return {
          body: page(
            [
              client('C1'),
              { kind: 'callback', record: { id: 'cb-1', clientCode: 'C1', dueAt: now } },
              attempt(ids.known, 'C1'),
              attempt(ids.withField, 'C1', { reason: 'no-answer', somethingElse: { nested: true } }),
              attempt(ids.newStatus, 'C1', { status: 'partial' }),
            ],
            '5',
            true,
          ),
        };
      }
      if (path.startsWith('/v1/changes?cursor=5&')) return { body: page([attempt(ids.after, 'C1')], '6') };
      return { body: page([], '6') };
    });
    const d = await device(server.url);
    const report = await d.sync({ appVersion: '1.0.0' });
    expect(report.pull).toMatchObject({ pages: 2, clients: 1, attempts: 3, unknown: 2 });
    const snapshot = await d.snapshot();
    expect(snapshot.attempts.map((a) => a.id).sort()).toEqual([ids.known, ids.withField, ids.after].sort());
    expect(await countUnknownChanges(d.local.db)).toBe(2);
    // The cursor went past what was kept: the next run asks from 6, not from the start.
    await d.sync({ appVersion: '1.0.0' });
    expect(server.requests.filter((r) => r.path.startsWith('/v1/changes')).map((r) => r.path.split('&')[0])).toEqual([
      '/v1/changes?cursor=0',
      '/v1/changes?cursor=5',
      '/v1/changes?cursor=6',
    ]);
    // Another version reads them again; still unknown to it, they stay, and are not duplicated.
    await d.sync({ appVersion: '1.1.0' });
    expect(await countUnknownChanges(d.local.db)).toBe(2);
    // Features the device does not know are not taken for ones it does.
    expect(report.server.features).toEqual(['epoch']);
  });

  it('sends its report only to a server that lists the feature', async () => {
    let features: string[] = [];
    const server = await fixture(({ path, body }) => {
      if (path === '/v1/me') return { body: me(features) };
      if (path === '/v1/push') return { body: { results: pushResults(body), serverTime: now } };
      return { body: page(path.includes('cursor=0&') ? [client('C1')] : [], '1') };
    });
    const d = await device(server.url);
    await d.sync();
    await d.click('C1');
    await d.sync({ appVersion: '2.3.4' });
    features = ['push.deviceReport'];
    await d.click('C1');
    await d.sync({ appVersion: '2.3.4' });
    const pushes = server.requests.filter((r) => r.path === '/v1/push').map((r) => r.body as Record<string, unknown>);
    expect(pushes).toHaveLength(2);
    expect(pushes[0]).not.toHaveProperty('device');
    expect(pushes[1]!.device).toEqual({ appVersion: '2.3.4', outboxPending: 1, deadLetters: 0, deadLetterReasons: [] });
  });

  it('dead-letters alone the one record a server fails on, and nothing when the server fails on everything', async () => {
    let poison: string | null = null;
    let failAll = false;
    const serverError = { error: { code: 'server.error', message: { fr: 'Erreur interne du serveur.', en: 'Internal server error.' } } };
    const server = await fixture(({ path, body }) => {
      if (path === '/v1/me') return { body: me([]) };
      if (path === '/v1/push') {
        const items = (body as { items: { record: { id?: string } }[] }).items;
        if (failAll || items.some((i) => i.record.id === poison)) return { status: 500, body: serverError };
        return { body: { results: pushResults(body), serverTime: now } };
      }
      return { body: page(path.includes('cursor=0&') ? [client('C1')] : [], '1') };
    });
    const d = await device(server.url);
    await d.sync();
    const clicks = [];
    for (let i = 0; i < 7; i += 1) clicks.push(await d.click('C1', i % 2 ? 'failure' : 'success'));
    poison = clicks[3]!.attempt.id;
    const report = await d.sync();
    expect(report.push).toMatchObject({ applied: 6, rejected: 1 });
    expect((await d.snapshot()).outbox).toEqual({ pending: 0, dead: 1 });
    const dead = await d.desk.listDeadLetters({});
    expect(dead.map((x) => [x.recordId, x.reason])).toEqual([[poison, 'Erreur interne du serveur.']]);

    // A server failing on everything is an outage, not a bad record: wait, dead-letter nothing.
    failAll = true;
    for (let i = 0; i < 4; i += 1) await d.click('C1');
    await expect(d.sync()).rejects.toBeInstanceOf(SyncFailure);
    expect((await d.snapshot()).outbox).toEqual({ pending: 4, dead: 1 });
  });
});

describe('a device whose server was restored or replaced (real server, SQLite)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function serverOn(file: string) {
    const server = await startServer({ db: file, port: 0 });
    cleanups.push(() => server.close());
    return server;
  }

  it('notices a restore from its cursor, reads again from zero and sends again what the server lost', async () => {
    const dir = tempDir('desk-restore-');
    const file = join(dir, 'server.db');
    const first = await serverOn(file);
    await putClients(file, [testClient('R1'), testClient('R2')]);
    const awa = await createAgent(file, 'Awa Diallo');
    const d = await TestDevice.create();
    cleanups.push(() => d.cleanup());
    await d.enrol(first.url, awa.token);
    await d.sync();
    await d.click('R1', 'failure');
    await d.sync();

    // IT's nightly backup (SQLite's online backup), then clicks that only the live database has.
    const live = new BetterSqlite3(file);
    await live.backup(join(dir, 'backup.db'));
    live.close();
    await d.click('R1', 'success');
    const voided = await d.click('R2');
    await d.desk.voidAttempt({ attemptId: voided.attempt.id, reason: 'Erreur de client' });
    await d.sync();
    expect(await countRows(file)).toMatchObject({ attempts: 3, voids: 1 });
    await first.close();

    // The disk is lost; the backup is restored in its place.
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    copyFileSync(join(dir, 'backup.db'), file);
    const restored = await serverOn(file);
    expect(await countRows(file)).toMatchObject({ attempts: 1, voids: 0 });
    const report = await d.sync({ serverUrl: restored.url });
    expect(report.server.changed).toBe(false); // same database identity: only the cursor tells
    await d.sync({ serverUrl: restored.url });
    expect(await countRows(file)).toMatchObject({ attempts: 3, voids: 1 });
    expect((await d.snapshot()).outbox).toEqual({ pending: 0, dead: 0 });
    expect(await getSyncNotice(d.local.db)).toMatchObject({ code: 'server.restored' });
  });

  it('takes another server database at the same address for what it is: reads from zero, sends its own records again', async () => {
    const dir = tempDir('desk-epoch-');
    const oldFile = join(dir, 'old.db');
    const newFile = join(dir, 'new.db');
    const old = await serverOn(oldFile);
    await putClients(oldFile, [testClient('E1'), testClient('E2')]);
    const awa = await createAgent(oldFile, 'Awa Diallo');
    const d = await TestDevice.create();
    cleanups.push(() => d.cleanup());
    await d.enrol(old.url, awa.token);
    await d.sync();
    await d.click('E1');
    await d.sync();
    const oldEpoch = await getServerEpoch(d.local.db);
    expect(oldEpoch).toMatch(/^[0-9a-f-]{36}$/);

    // IT builds a new server from an export of the old one (agents, tokens, clients, what it had
    // then): another database, so another identity. Meanwhile the desk goes on with the old one.
    await old.close();
    copyFileSync(oldFile, newFile);
    const sqlite = new BetterSqlite3(newFile);
    sqlite.prepare("UPDATE server_identity SET epoch = 'another-database'").run();
    sqlite.close();
    const oldAgain = await serverOn(oldFile);
    await d.click('E2', 'failure');
    await d.click('E1', 'failure');
    await d.sync({ serverUrl: oldAgain.url });

    const rebuilt = await serverOn(newFile);
    const report = await d.sync({ serverUrl: rebuilt.url });
    expect(report.server).toMatchObject({ changed: true, requeued: 3 });
    expect(report.push).toMatchObject({ applied: 2, duplicate: 1, rejected: 0 });
    expect(report.pull.clients).toBe(2); // from zero again
    expect(await getServerEpoch(d.local.db)).toBe('another-database');
    expect(await countRows(newFile)).toMatchObject({ attempts: 3 });
    expect(await getSyncNotice(d.local.db)).toMatchObject({ code: 'server.changed' });
  });
});

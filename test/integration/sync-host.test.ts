// The sync host as main runs it, in plain Node: the real worker thread, a real server, a real
// database file. Only Electron's keychain is supplied by the test (a reversible sealing).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeskError, type SyncState } from '../../contract/index.ts';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { getMeta } from '../../db/settings.ts';
import { startSyncHost, type SyncHost, type SyncHostContext } from '../../sync/host.ts';
import { ProtocolClient, startTestServer, testClient, type TestServer } from '../helpers/server.ts';
import { MovableClock, tempDir } from '../helpers/local-db.ts';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { issueEnrolmentCode } from '../../server/console/agents.ts';
import { upsertClient } from '../../db/clients.ts';
import { writeTransaction } from '../../db/tx.ts';
import { openServerDatabase } from '../../server/storage/database.ts';

/** A code issued as the console's Agents page does (an admin's action). */
async function enrolmentCodeFor(databaseUrl: string, agentId: string): Promise<string> {
  const sdb = await openServerDatabase(databaseUrl, { poolSize: 1 });
  try {
    return (await issueEnrolmentCode(sdb, agentId, { userId: 'test-admin', login: 'admin' })).code;
  } finally {
    await sdb.close();
  }
}

function keychain(available: boolean): SyncHostContext['safeStorage'] & { sealed: number } {
  const chain = {
    sealed: 0,
    isEncryptionAvailable: () => available,
    encryptString: (plain: string) => {
      chain.sealed += 1;
      return Buffer.from(`sealed:${Buffer.from(plain).toString('hex')}`);
    },
    decryptString: (sealed: Buffer) => {
      const text = sealed.toString();
      if (!text.startsWith('sealed:')) throw new Error('not sealed by this keychain');
      return Buffer.from(text.slice(7), 'hex').toString();
    },
  };
  return chain;
}

async function waitForState(states: SyncState[], predicate: (s: SyncState) => boolean, from = 0, timeoutMs = 10_000): Promise<SyncState> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = states.slice(from).findLast(predicate);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no such sync state; last: ${JSON.stringify(states.at(-1))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function expectDeskError(pending: unknown, code: string): Promise<void> {
  const error = await Promise.resolve(pending).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeskError);
  expect((error as DeskError).code).toBe(code);
}

describe('sync host with its worker thread', () => {
  let server: TestServer;
  let dir: string;
  let local: LocalDatabase;
  const hosts: SyncHost[] = [];

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    await server.clients([testClient('H-1'), testClient('H-2')]);
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop();
    await local?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(safeStorage = keychain(true)) {
    const states: SyncState[] = [];
    const host = await startSyncHost(
      { local, userDataDir: dir, emit: (event, payload) => event === 'syncState' && states.push(payload as SyncState), safeStorage },
      { timing: { intervalMs: 60_000, debounceMs: 50, backoffBaseMs: 100, backoffCapMs: 1000 } },
    );
    hosts.push(host);
    return { host, states, desk: createDeskHandlers(local, { sync: host.control, clock: new MovableClock(Date.now()) }) };
  }

  async function fresh() {
    dir = tempDir('desk-host-');
    local = await openDatabase(join(dir, 'desk.db'));
  }

  it('works on its own without a server, then enrols, seals the token and syncs after a click', async () => {
    await fresh();
    const chain = keychain(true);
    const { host, states, desk } = await start(chain);
    expect(await host.control.state()).toMatchObject({ phase: 'disabled', serverUrl: null });
    expect(await desk.getSyncSettings({})).toEqual({ serverUrl: null, hasToken: false, tokenStorage: 'none' });
    await expectDeskError(desk.syncNow({}), 'sync.notConfigured');

    await expectDeskError(desk.updateSyncSettings({ serverUrl: server.url }), 'sync.tokenRequired');
    await expectDeskError(desk.updateSyncSettings({ serverUrl: server.url, token: 'ndk_not-a-real-token' }), 'sync.tokenRejected');
    await expectDeskError(desk.updateSyncSettings({ serverUrl: 'http://127.0.0.1:9', token: 'x' }), 'sync.unavailable');
    expect(await getMeta(local.db, 'sync_server_url')).toBeNull();

    const agent = await server.agent('Awa Diallo');
    const view = await desk.updateSyncSettings({ serverUrl: server.url, token: agent.token });
    expect(view).toEqual({ serverUrl: server.url, hasToken: true, tokenStorage: 'safeStorage' });
    expect(chain.sealed).toBe(1);
    expect(await getMeta(local.db, 'sync_token')).not.toContain(agent.token);
    expect((await desk.getSettings({})).agent).toEqual({ id: agent.agentId, name: 'Awa Diallo' });

    // The worker pulls the clients on its own, then a click goes out soon after (nudge).
    await waitForState(states, (s) => s.phase === 'idle' && s.lastSyncAt !== null);
    const seen = states.length;
    const click = await desk.recordAttempt({ clientCode: 'H-1', status: 'success' });
    await waitForState(states, (s) => s.pending === 1, seen);
    await waitForState(states, (s) => s.phase === 'idle' && s.pending === 0, seen);
    const { changes } = await new ProtocolClient(server.url, agent.token).pullAll();
    expect(changes.filter((c) => c.kind === 'attempt').map((c) => c.record.id)).toContain(click.attempt.id);

    const now = await desk.syncNow({});
    expect(now).toMatchObject({ phase: 'idle', serverUrl: server.url, online: true, pending: 0, deadLetters: 0, lastError: null });
    expect(now.nextAttemptAt).not.toBeNull();
  });

  it('restarts with the sealed token, survives an unreachable server, and can be switched off', async () => {
    await fresh();
    const agent = await server.agent('Marc Petit');
    const chain = keychain(false); // no keychain: the token is kept in the database, and it says so
    let { host, states, desk } = await start(chain);
    expect(await desk.updateSyncSettings({ serverUrl: server.url, token: agent.token })).toMatchObject({ tokenStorage: 'plain' });
    await waitForState(states, (s) => s.phase === 'idle' && s.lastSyncAt !== null);
    await host.stop();
    hosts.splice(hosts.indexOf(host), 1);

    ({ host, states, desk } = await start(chain));
    await desk.recordAttempt({ clientCode: 'H-2', status: 'failure' });
    const synced = await desk.syncNow({});
    expect(synced).toMatchObject({ phase: 'idle', pending: 0 });

    // Pointed at nothing (same token): offline, clicks stay queued, and it says when it will retry.
    const unreachable = 'http://127.0.0.1:9';
    await expectDeskError(desk.updateSyncSettings({ serverUrl: unreachable }), 'sync.unavailable');
    await desk.recordAttempt({ clientCode: 'H-2', status: 'success' });
    host.setOnline(false);
    await waitForState(states, (s) => s.pending === 1);

    expect(await desk.updateSyncSettings({ serverUrl: null })).toEqual({ serverUrl: null, hasToken: false, tokenStorage: 'none' });
    await waitForState(states, (s) => s.phase === 'disabled' && s.pending === 1);
    await expectDeskError(desk.syncNow({}), 'sync.notConfigured');
  });

  it('enrols with a code from the console instead of a token: the code is spent, the agent is the code\'s, and it syncs', async () => {
    await fresh();
    const chain = keychain(true);
    const { states, desk } = await start(chain);
    const agent = await server.agent('Nadia Benali');
    const code = await enrolmentCodeFor(server.database.url, agent.agentId);

    await expectDeskError(desk.updateSyncSettings({ serverUrl: server.url, enrolmentCode: 'AAAAA-BBBBB' }), 'sync.enrolmentRejected');
    await expectDeskError(desk.updateSyncSettings({ serverUrl: server.url, enrolmentCode: code, token: agent.token }), 'sync.enrolmentOrToken');
    expect(await getMeta(local.db, 'sync_server_url')).toBeNull();

    // Lower case and without the dash, as someone might type it.
    const view = await desk.updateSyncSettings({ serverUrl: server.url, enrolmentCode: ` ${code.toLowerCase().replace('-', '')} ` });
    expect(view).toEqual({ serverUrl: server.url, hasToken: true, tokenStorage: 'safeStorage' });
    expect(chain.sealed).toBe(1);
    expect((await desk.getSettings({})).agent).toEqual({ id: agent.agentId, name: 'Nadia Benali' });
    await waitForState(states, (s) => s.phase === 'idle' && s.lastSyncAt !== null);
    const seen = states.length;
    const click = await desk.recordAttempt({ clientCode: 'H-1', status: 'success' });
    await waitForState(states, (s) => s.phase === 'idle' && s.pending === 0, seen);
    const { changes } = await new ProtocolClient(server.url, agent.token).pullAll();
    const pushed = changes.find((c) => c.kind === 'attempt' && c.record.id === click.attempt.id);
    expect(pushed?.record).toMatchObject({ agentId: agent.agentId });

    // Used once: the same code again is refused, and the saved enrolment stays.
    await expectDeskError(desk.updateSyncSettings({ serverUrl: server.url, enrolmentCode: code }), 'sync.enrolmentRejected');
    expect(await desk.getSyncSettings({})).toEqual({ serverUrl: server.url, hasToken: true, tokenStorage: 'safeStorage' });
  });

  it('says so when the server predates enrolment codes (404 at POST /v1/enrol)', async () => {
    await fresh();
    const { desk } = await start();
    const old = createServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'not.found', message: { fr: 'Adresse inconnue.', en: 'Unknown address.' } } }));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
      await expectDeskError(desk.updateSyncSettings({ serverUrl: url, enrolmentCode: 'AAAAA-BBBBB' }), 'sync.enrolmentUnsupported');
      expect(await getMeta(local.db, 'sync_server_url')).toBeNull();
    } finally {
      await new Promise((resolve) => old.close(resolve));
    }
  });

  it('pushes with a token only the records of that token\'s agent: another local profile\'s attempts wait, never attributed to the token\'s agent', async () => {
    await fresh();
    const { states, desk } = await start();
    const awa = await server.agent('Awa Diallo');
    // Awa records before enrolment ('local:' id), then enrols with her token.
    await writeTransaction(local.db, async (trx) => {
      for (const code of ['H-1', 'H-2']) await upsertClient(trx, testClient(code), new Date().toISOString());
    });
    await desk.updateSettings({ agentName: 'Awa Diallo' });
    const before = await desk.recordAttempt({ clientCode: 'H-1', status: 'success' });
    await desk.updateSyncSettings({ serverUrl: server.url, token: awa.token });
    await waitForState(states, (s) => s.phase === 'idle' && s.lastSyncAt !== null);

    // Marc, a local profile on the same desk, records while signed in.
    await desk.signOut({});
    await desk.createAgentProfile({ name: 'Marc Petit', pin: '5678' });
    const marcs = await desk.recordAttempt({ clientCode: 'H-2', status: 'failure' });
    await desk.signOut({});
    await desk.signIn({ profileId: awa.agentId, pin: '1234', confirmPin: '1234' });
    const after = await desk.recordAttempt({ clientCode: 'H-2', status: 'success' });

    const synced = await desk.syncNow({});
    expect(synced).toMatchObject({ phase: 'idle', pending: 1, deadLetters: 0 });
    const { changes } = await new ProtocolClient(server.url, awa.token).pullAll();
    const onServer = new Map(changes.filter((c) => c.kind === 'attempt').map((c) => [c.record.id, c.record.agentId]));
    expect(onServer.get(before.attempt.id)).toBe(awa.agentId);
    expect(onServer.get(after.attempt.id)).toBe(awa.agentId);
    expect(onServer.has(marcs.attempt.id)).toBe(false);
    const waiting = await local.db.selectFrom('outbox').select('record_id').where('state', '=', 'pending').execute();
    expect(waiting.map((w) => w.record_id)).toEqual([marcs.attempt.id]);
  });
});

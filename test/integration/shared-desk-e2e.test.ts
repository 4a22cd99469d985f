// Issue 9 end to end: the real server on PostgreSQL, a desk (real sync host, its worker thread, a
// real database file) enrolled with a device code from the console, two agents alternating on it,
// some shifts with the server out of reach (offline sign-in against the desk's verifier), then
// syncing. Every attempt on the server names the agent who was signed in when it was clicked, and a
// counting proxy in front of the server proves each agent's push used that agent's token and the
// device's token carried only journal lines.

import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncState } from '../../contract/index.ts';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import { upsertClient } from '../../db/clients.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { writeTransaction } from '../../db/tx.ts';
import { createAgentFromConsole, disableAgent, issueDeviceEnrolmentCode } from '../../server/console/agents.ts';
import { openServerDatabase, type ServerDatabase } from '../../server/storage/database.ts';
import { startSyncHost, type SyncHost, type SyncHostContext } from '../../sync/host.ts';
import { MovableClock, tempDir } from '../helpers/local-db.ts';
import { postgresUnavailableReason, startTestServer, testClient, type TestServer } from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] shared desk end to end on PostgreSQL skipped: ${pgReason}`);

const admin = { userId: 'test-admin', login: 'admin' };

interface Seen {
  path: string;
  token: string | null;
  kinds: string[];
  agentIds: (string | null)[];
}

/** Forwards to the server; logs who pushed what; `down` drops every connection (server out of reach). */
async function countingProxy(upstream: string) {
  const seen: Seen[] = [];
  const tokenAgent = new Map<string, string>();
  const state = { down: false };
  const server: Server = createServer((req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers.set(k, v);
        const answer = await fetch(new URL(req.url ?? '/', upstream), { method: req.method, headers, body: body.length ? body : null });
        const text = await answer.text();
        const token = req.headers.authorization?.replace(/^Bearer /, '') ?? null;
        if (req.url === '/v1/sign-in' && answer.ok) {
          const signedIn = JSON.parse(text) as { token: string; agentId: string };
          tokenAgent.set(signedIn.token, signedIn.agentId);
        }
        if (req.url === '/v1/push') {
          const items = (JSON.parse(body.toString()) as { items: { kind: string; record: { agentId?: string | null } }[] }).items;
          seen.push({ path: req.url, token, kinds: items.map((i) => i.kind), agentIds: items.map((i) => i.record.agentId ?? null) });
        }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', ...(answer.headers.get('retry-after') ? { 'retry-after': answer.headers.get('retry-after')! } : {}) });
        res.end(text);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    tokenAgent,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function keychain(): SyncHostContext['safeStorage'] {
  return {
    isEncryptionAvailable: () => true,
    encryptString: (plain: string) => Buffer.from(`sealed:${Buffer.from(plain).toString('hex')}`),
    decryptString: (sealed: Buffer) => Buffer.from(sealed.toString().slice(7), 'hex').toString(),
  };
}

describe.skipIf(pgReason !== null)('a shared desk on the real server (PostgreSQL)', () => {
  let server: TestServer;
  let sdb: ServerDatabase;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let dir: string;
  let local: LocalDatabase;
  let host: SyncHost | null = null;

  beforeAll(async () => {
    server = await startTestServer('postgres', { signIn: { secretKind: 'pin', offlineDays: 14 } });
    await server.clients(['S-1', 'S-2', 'S-3', 'S-4', 'S-5', 'S-6'].map((c) => testClient(c)));
    sdb = await openServerDatabase(server.database.url, { poolSize: 2, migrate: false });
    proxy = await countingProxy(server.url);
    dir = tempDir('desk-shared-e2e-');
    local = await openDatabase(join(dir, 'desk.db'));
  });
  afterAll(async () => {
    await host?.stop();
    await local?.close();
    await proxy?.close();
    await sdb?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two agents alternate, some shifts offline, then sync: every attempt is its agent’s, pushed with its agent’s token', async () => {
    const awa = await createAgentFromConsole(sdb, { name: 'Awa Diallo', login: 'awa.diallo', secret: '246810' }, admin, 'pin');
    const marc = await createAgentFromConsole(sdb, { name: 'Marc Petit', login: 'marc.petit', secret: '135791' }, admin, 'pin');
    const { code } = await issueDeviceEnrolmentCode(sdb, admin);
    await writeTransaction(local.db, async (trx) => {
      // The desk's file, as an import gave it (the same codes as the server's clients).
      for (const c of ['S-1', 'S-2', 'S-3', 'S-4', 'S-5', 'S-6']) await upsertClient(trx, { code: c, name: `Client ${c}`, phones: [], email: null, city: null, address: null, extra: {} }, new Date().toISOString());
    });
    const states: SyncState[] = [];
    host = await startSyncHost(
      { local, userDataDir: dir, emit: (event, payload) => event === 'syncState' && states.push(payload as SyncState), safeStorage: keychain() },
      { timing: { intervalMs: 3_600_000, debounceMs: 3_600_000, backoffBaseMs: 3_600_000, backoffCapMs: 3_600_000 } },
    );
    const clock = new MovableClock(Date.now());
    const desk = createDeskHandlers(local, { sync: host.control, clock });
    await desk.updateSyncSettings({ serverUrl: proxy.url, enrolmentCode: code });
    expect((await desk.getAgentSession({})).server).toMatchObject({ secretKind: 'pin', offlineDays: 14 });

    const expected: Record<string, string> = {};
    const click = async (client: string, agentId: string) => {
      const { attempt } = await desk.recordAttempt({ clientCode: client, status: 'success' });
      expect(attempt.agentId).toBe(agentId);
      expected[attempt.id] = agentId;
    };
    const timings: Record<string, number[]> = { online: [], offline: [] };
    const signIn = async (login: string, secret: string, mode: 'online' | 'offline') => {
      const started = performance.now();
      await desk.signInAgent({ login, secret });
      timings[mode]!.push(performance.now() - started);
    };

    // Morning, online: Awa, then Marc takes over.
    await signIn('awa.diallo', '246810', 'online');
    await click('S-1', awa.agentId);
    await signIn('Marc.Petit', '135791', 'online');
    await click('S-2', marc.agentId);
    // The network goes: afternoon shifts offline, each against the desk's verifier.
    proxy.state.down = true;
    clock.advance(4 * 60 * 60 * 1000);
    await signIn('awa.diallo', '246810', 'offline');
    await click('S-3', awa.agentId);
    await desk.lockSession({});
    await signIn('awa.diallo', '246810', 'offline'); // unlock
    await click('S-4', awa.agentId);
    await desk.signOut({});
    await signIn('marc.petit', '135791', 'offline');
    await click('S-5', marc.agentId);
    await desk.signOut({});
    // Back online; nobody signed in: the desk still pushes everyone's records with their tokens.
    proxy.state.down = false;
    const state = await desk.syncNow({});
    expect(state).toMatchObject({ pending: 0, deadLetters: 0, waitingFor: [] });

    const onServer = await sdb.db.selectFrom('attempts').select(['id', 'agent_id', 'sent_agent_id', 'device_id']).execute();
    expect(Object.fromEntries(onServer.map((a) => [a.id, a.agent_id]))).toEqual(expected);
    for (const a of onServer) expect(a.sent_agent_id).toBe(a.agent_id);

    // Every push carrying attempts went with a token of the attempts' agent; the device's token only with journal lines.
    const attemptPushes = proxy.seen.filter((p) => p.kinds.includes('attempt'));
    expect(attemptPushes.length).toBeGreaterThanOrEqual(2);
    for (const push of attemptPushes) {
      const owner = proxy.tokenAgent.get(push.token ?? '');
      expect(owner, 'an attempt push used a token from a sign-in').toBeDefined();
      expect(new Set(push.agentIds)).toEqual(new Set([owner]));
    }
    expect(new Set(attemptPushes.map((p) => proxy.tokenAgent.get(p.token!)))).toEqual(new Set([awa.agentId, marc.agentId]));
    const devicePushes = proxy.seen.filter((p) => !proxy.tokenAgent.has(p.token ?? ''));
    expect(devicePushes.length).toBeGreaterThan(0);
    for (const push of devicePushes) expect(new Set(push.kinds)).toEqual(new Set(['agentEvent']));

    // The server's journal has the desk's own lines, the offline sign-ins and the unlock among them.
    const events = await sdb.db.selectFrom('agent_events').select(['kind', 'agent_id', 'offline', 'source']).where('source', '=', 'desk').execute();
    expect(events).toEqual(expect.arrayContaining([
      { kind: 'signIn', agent_id: awa.agentId, offline: 1, source: 'desk' },
      { kind: 'unlock', agent_id: awa.agentId, offline: 1, source: 'desk' },
      { kind: 'signIn', agent_id: marc.agentId, offline: 1, source: 'desk' },
      { kind: 'lock', agent_id: awa.agentId, offline: 0, source: 'desk' },
    ]));
    const serverSignIns = await sdb.db.selectFrom('agent_events').select(['kind', 'agent_id']).where('source', '=', 'server').where('kind', '=', 'signIn').execute();
    expect(serverSignIns.map((e) => e.agent_id).sort()).toEqual([awa.agentId, marc.agentId].sort());

    // Marc is disabled in the console: after the next pull the desk forgets him, offline too.
    await disableAgent(sdb, marc.agentId, admin);
    await desk.syncNow({});
    expect(await local.db.selectFrom('agent_verifiers').select('login').execute()).toEqual([{ login: 'awa.diallo' }]);
    proxy.state.down = true;
    await expect(desk.signInAgent({ login: 'marc.petit', secret: '135791' })).rejects.toMatchObject({ code: 'signIn.offlineUnknown' });
    proxy.state.down = false;
    await expect(desk.signInAgent({ login: 'marc.petit', secret: '135791' })).rejects.toMatchObject({ code: 'signIn.disabled' });

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `[figure] sign-in on the desk, real server on PostgreSQL via loopback: online ${timings.online!.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(timings.online!).toFixed(0)}); offline ${timings.offline!.map((t) => t.toFixed(0)).join(', ')} ms (median ${median(timings.offline!).toFixed(0)})`,
    );
  });
});

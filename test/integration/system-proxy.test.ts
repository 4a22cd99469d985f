// The desk behind a company's proxy: the server's address (a made-up host name this machine cannot
// resolve) is reachable only through a real local HTTP proxy, which writes down what it forwarded.
// First the route itself (sync/proxy.ts: forward, CONNECT, the next proxy when one is down, a proxy
// that wants credentials); then the whole path the app takes: main's resolveProxy answer relayed to
// the database worker (enrolment) and to the sync worker (pushes), both real worker threads.

import { rmSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientPage, Result, SyncState } from '../../contract/index.ts';
import { startDatabase, type DatabaseClient } from '../../db/database-client.ts';
import { describeFailure } from '../../sync/failure-text.ts';
import { SyncFailure, SyncHttp } from '../../sync/http.ts';
import { fetchAlong } from '../../sync/proxy.ts';
import { startTestProxy, type TestProxy } from '../helpers/http-proxy.ts';
import { tempDir } from '../helpers/local-db.ts';
import { ProtocolClient, startTestServer, testClient, type TestServer } from '../helpers/server.ts';

/** A host name no resolver knows (RFC 6761 .test): only the proxy can take a request there. */
const hiddenHost = 'desk-server.test';

async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let server: TestServer;
let hiddenUrl: string;
let proxy: TestProxy;

beforeAll(async () => {
  server = await startTestServer('sqlite');
  await server.clients([testClient('P-1'), testClient('P-2')]);
  hiddenUrl = `http://${hiddenHost}:${new URL(server.url).port}/`;
  proxy = await startTestProxy();
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

describe('the route through a proxy', () => {
  it('a direct request cannot reach the hidden host: the proxy is the only way', async () => {
    const http = new SyncHttp({ serverUrl: hiddenUrl, token: null, allowPlainHttp: true, fetch: fetchAlong('DIRECT') });
    const failure = await http.request('GET', 'health').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SyncFailure);
    expect((failure as SyncFailure).kind).toBe('network');
    expect((failure as SyncFailure).message).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it('forwards plain http:// through a PROXY entry, and a down proxy gives way to the next', async () => {
    const agent = await server.agent('Awa Diallo');
    const before = proxy.seen.length;
    const down = await closedPort();
    const http = new SyncHttp({ serverUrl: hiddenUrl, token: agent.token, allowPlainHttp: true, fetch: fetchAlong(`PROXY 127.0.0.1:${down}; PROXY 127.0.0.1:${proxy.port}; DIRECT`) });
    const me = await http.request<{ agentName: string }>('GET', 'v1/me');
    expect(me.agentName).toBe('Awa Diallo');
    expect(proxy.seen.slice(before)).toEqual([{ method: 'GET', target: `http://${hiddenHost}:${new URL(server.url).port}/v1/me` }]);
  });

  it('tunnels https:// with CONNECT: the proxy sees the host and port, not the request', async () => {
    // A plain TCP listener stands for the TLS server: the tunnel is what is checked, the handshake then fails.
    const tcp: TcpServer = createTcpServer((socket) => socket.end('not TLS\r\n'));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as AddressInfo).port;
    try {
      const before = proxy.seen.length;
      const http = new SyncHttp({ serverUrl: `https://${hiddenHost}:${port}/`, token: 'ndk_secret', fetch: fetchAlong(`PROXY 127.0.0.1:${proxy.port}`) });
      const failure = await http.request('GET', 'v1/me').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SyncFailure);
      expect((failure as SyncFailure).message).not.toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(proxy.seen.slice(before)).toEqual([{ method: 'CONNECT', target: `${hiddenHost}:${port}` }]);
    } finally {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });

  it('a proxy that wants credentials is named in the agent’s message, for http:// and for a tunnel', async () => {
    const guarded = await startTestProxy({ requireAuth: true });
    try {
      for (const serverUrl of [hiddenUrl, `https://${hiddenHost}:443/`]) {
        const http = new SyncHttp({ serverUrl, token: 'ndk_secret', allowPlainHttp: true, fetch: fetchAlong(`PROXY 127.0.0.1:${guarded.port}`) });
        const failure = await http.request('GET', 'v1/me').catch((error: unknown) => error);
        expect(failure, serverUrl).toBeInstanceOf(SyncFailure);
        expect((failure as SyncFailure).kind).toBe('network');
        expect(describeFailure(failure, 'fr')).toBe('Serveur injoignable (proxy HTTP 407) : vos clics restent enregistrés ici et partiront au retour du réseau.');
        expect(describeFailure(failure, 'en')).toContain('Server unreachable (proxy HTTP 407)');
      }
      expect(guarded.seen.map((s) => s.method)).toEqual(['GET', 'CONNECT']);
    } finally {
      await guarded.close();
    }
  });
});

describe('the desk behind the proxy, as the app runs it (database and sync worker threads)', () => {
  let dir: string;
  let database: DatabaseClient | null = null;
  afterEach(async () => {
    await database?.stop();
    database = null;
    rmSync(dir, { recursive: true, force: true });
  });

  async function value<T>(pending: Promise<Result<unknown>>): Promise<T> {
    const result = await pending;
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message.en}`);
    return result.value as T;
  }

  it('enrols and syncs through the proxy main resolved for the server’s address', { timeout: 60_000 }, async () => {
    dir = tempDir('desk-proxy-');
    const asked: string[] = [];
    const states: SyncState[] = [];
    database = await startDatabase({
      file: join(dir, 'notification-desk.db'),
      emit: (event, payload) => event === 'syncState' && states.push(payload as SyncState),
      sync: { allowPlainHttp: true, timing: { intervalMs: 60_000, debounceMs: 50, backoffBaseMs: 100, backoffCapMs: 1000 } },
      // What main passes: Electron's session.resolveProxy, here answering as a PAC script would.
      resolveProxy: async (url) => {
        asked.push(url);
        return new URL(url).hostname === hiddenHost ? `PROXY 127.0.0.1:${proxy.port}; DIRECT` : 'DIRECT';
      },
      backupIntervalMs: 0,
      backupAtQuit: false,
    });
    const agent = await server.agent('Bruno Martin');
    const before = proxy.seen.length;
    await value(database.call('updateSyncSettings', { serverUrl: hiddenUrl, token: agent.token }));
    expect(asked).toContain(hiddenUrl);

    // The sync worker pulls the clients through the proxy on its own, then a click goes out.
    const deadline = Date.now() + 30_000;
    let page: ClientPage | null = null;
    while (Date.now() < deadline) {
      page = await value<ClientPage>(database.call('searchClients', { query: 'P-1' }));
      if (page.total > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(page?.total).toBe(1);
    const click = await value<{ attempt: { id: string } }>(database.call('recordAttempt', { clientCode: 'P-1', status: 'success' }));
    let synced: SyncState | null = null;
    while (Date.now() < deadline) {
      synced = await value<SyncState>(database.call('syncNow', {}));
      if (synced.pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(synced).toMatchObject({ phase: 'idle', pending: 0, lastError: null });

    const { changes } = await new ProtocolClient(server.url, agent.token).pullAll();
    expect(changes.filter((c) => c.kind === 'attempt').map((c) => c.record.id)).toContain(click.attempt.id);
    const paths = proxy.seen.slice(before).map((s) => new URL(s.target).pathname);
    expect(paths).toContain('/v1/me'); // the enrolment's check, from the database worker
    expect(paths).toContain('/v1/changes'); // the sync worker's pull
    expect(paths).toContain('/v1/push'); // and its push of the click
    expect(proxy.seen.slice(before).every((s) => new URL(s.target).hostname === hiddenHost)).toBe(true);
  });
});

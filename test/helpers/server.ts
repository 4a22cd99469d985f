// Real sync servers for tests: databases made and dropped per test run (SQLite files in temp
// folders, PostgreSQL databases on 127.0.0.1), servers started in-process or as CLI processes,
// and a small HTTP client that speaks the protocol. Shared by the server and sync-worker tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import type { AttemptRecord, VoidRecord } from '../../contract/records.ts';
import { protocolHeader, protocolVersion } from '../../contract/sync-protocol.ts';
import { uuidv7 } from '../../db/ids.ts';
import { createAgent, putClients, startServer, type IssuedToken, type StartServerOptions } from '../../server/index.ts';
import type { ClientFields } from '../../server/clients.ts';
import { tempDir } from './local-db.ts';

export type Backend = 'sqlite' | 'postgres';

/** The maintenance database used to create and drop the test databases. */
export const postgresAdminUrl = process.env.DESK_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** null when PostgreSQL answers; otherwise why not (for the skip message). */
export async function postgresUnavailableReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const reason = `PostgreSQL unreachable at ${postgresAdminUrl}: ${(error as Error).message}`;
    // On a developer's machine without PostgreSQL the suites skip and say why; CI must never
    // pass by skipping them, so there it is a failure.
    if (process.env.CI) throw new Error(`${reason} (CI runs the PostgreSQL suites: start it, see .ci/run)`);
    return reason;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  /** What startServer and the admin functions take: a file path or a postgres:// URL. */
  url: string;
  backend: Backend;
  drop(): Promise<void>;
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE desk_test_<random>; drop() removes it even if connections are still open. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `desk_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    backend: 'postgres',
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export function createSqliteDatabase(): TestDatabase {
  const dir = tempDir('desk-server-');
  return {
    url: join(dir, 'server.db'),
    backend: 'sqlite',
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  return backend === 'postgres' ? createPostgresDatabase() : Promise.resolve(createSqliteDatabase());
}

export interface TestServer {
  url: string;
  database: TestDatabase;
  /** Enrols an agent on this server's database and returns its token. */
  agent(name?: string): Promise<IssuedToken>;
  clients(clients: ClientFields[]): Promise<void>;
  /** Stops the server and drops its database. */
  stop(): Promise<void>;
}

export async function startTestServer(
  backend: Backend,
  options: Omit<StartServerOptions, 'db'> = {},
): Promise<TestServer> {
  const database = await createTestDatabase(backend);
  try {
    const server = await startServer({ ...options, db: database.url });
    return {
      url: server.url,
      database,
      agent: (name = 'Awa Diallo') => createAgent(database.url, name),
      clients: async (clients) => {
        await putClients(database.url, clients);
      },
      stop: async () => {
        await server.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Every stdout line so far (JSON log lines). */
  lines: string[];
  stop(): Promise<void>;
}

/**
 * `npm run server` as a real process (tsx server/cli.ts) on a free port. Resolves once it is ready
 * (its database reached and migrated), or with waitReady: false as soon as it listens.
 */
export async function spawnServerProcess(
  db: string,
  extraArgs: string[] = [],
  { waitReady = true, env = {} }: { waitReady?: boolean; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const root = resolve(import.meta.dirname, '../..');
  // A CPU-starved test machine (every suite at once on two cores) is not an overloaded server: the
  // overload guard stays off unless a test asks for it (the overload test runs it in-process).
  const guard = extraArgs.includes('--max-event-loop-delay-ms') ? [] : ['--max-event-loop-delay-ms', '0'];
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/cli.ts'), '--db', db, '--port', '0', ...guard, ...extraArgs], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server process did not start in 30 s: ${stderr}`)), 30_000);
    let listening: string | null = null;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) listening = match[1]!;
      if (listening && (!waitReady || line.includes('Notification Desk server ready'))) {
        clearTimeout(timer);
        resolveUrl(listening);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    lines,
    stop: () =>
      new Promise<void>((done) => {
        // A child killed by a signal has signalCode set and exitCode null: it is gone all the same.
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** A device's view of the protocol, over real HTTP. */
export class ProtocolClient {
  readonly baseUrl: string;
  readonly token: string | null;
  readonly extraHeaders: Record<string, string>;
  constructor(baseUrl: string, token: string | null, extraHeaders: Record<string, string> = {}) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.extraHeaders = extraHeaders;
  }

  headers(json = false): Record<string, string> {
    return {
      ...(this.token === null ? {} : { authorization: `Bearer ${this.token}` }),
      [protocolHeader]: String(protocolVersion),
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...this.extraHeaders,
    };
  }

  async request<T = any>(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpAnswer<T>> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: { ...this.headers(init.body !== undefined), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: left as text, which the test will show
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  me() {
    return this.request('GET', '/v1/me');
  }

  push(deviceId: string, items: unknown[]) {
    return this.request('POST', '/v1/push', { body: JSON.stringify({ protocol: protocolVersion, deviceId, items }) });
  }

  changes(cursor = '0', limit?: number) {
    const query = new URLSearchParams({ cursor, ...(limit === undefined ? {} : { limit: String(limit) }) });
    return this.request('GET', `/v1/changes?${query}`);
  }

  /**
   * Pulls every page from a cursor; returns the changes and the final cursor. With `unavailableRetries`,
   * a page answered 503 is asked again after a short wait (as a device's sync worker does), up to that
   * many times in all: for tests that kill the server's database connections just before.
   */
  async pullAll(cursor = '0', limit = 1000, unavailableRetries = 0): Promise<{ changes: any[]; cursor: string }> {
    const changes: any[] = [];
    for (;;) {
      let page = await this.changes(cursor, limit);
      for (; unavailableRetries > 0 && page.status === 503; unavailableRetries--) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        page = await this.changes(cursor, limit);
      }
      if (page.status !== 200) throw new Error(`pull failed: ${page.status} ${JSON.stringify(page.body)}`);
      changes.push(...page.body.changes);
      cursor = page.body.nextCursor;
      if (!page.body.hasMore) return { changes, cursor };
    }
  }
}

export function testClient(code: string, name = `Client ${code}`): ClientFields {
  return { code, name, phones: ['+33 6 06 09 68 12'], email: null, city: 'Paris', address: null, extra: {} };
}

export function attemptRecord(overrides: Partial<AttemptRecord> & Pick<AttemptRecord, 'clientCode'>): AttemptRecord {
  return {
    id: uuidv7(),
    agentId: 'local:device-agent',
    agentName: 'Awa Diallo',
    occurredAt: new Date().toISOString(),
    utcOffsetMin: 60,
    status: 'success',
    channel: 'phone',
    note: null,
    deviceId: 'device-1',
    ...overrides,
  };
}

export function voidRecord(overrides: Partial<VoidRecord> & Pick<VoidRecord, 'attemptId'>): VoidRecord {
  return {
    agentId: 'local:device-agent',
    agentName: 'Awa Diallo',
    voidedAt: new Date().toISOString(),
    utcOffsetMin: 60,
    reason: 'Erreur de saisie',
    kind: 'void',
    deviceId: 'device-1',
    ...overrides,
  };
}

export interface TableCounts {
  agents: number;
  tokens: number;
  device_agents: number | null;
  clients: number;
  attempts: number;
  voids: number;
  changes: number;
}

/** Rows per table, read through a connection of the test's own: "nothing written" is checked here. */
export async function countRows(db: string): Promise<TableCounts> {
  const { openServerDatabase } = await import('../../server/storage/database.ts');
  const sdb = await openServerDatabase(db, { poolSize: 1, migrate: false });
  try {
    const count = async (table: keyof TableCounts) => {
      const row = await sdb.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    };
    return {
      agents: await count('agents'),
      tokens: await count('tokens'),
      // Absent from a database of the previous release (protocol-compat.test.ts): null there.
      device_agents: await count('device_agents').catch(() => null),
      clients: await count('clients'),
      attempts: await count('attempts'),
      voids: await count('voids'),
      changes: await count('changes'),
    };
  } finally {
    await sdb.close();
  }
}

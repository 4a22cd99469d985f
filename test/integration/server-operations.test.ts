// The server as IT runs it: migrations as their own command and refused when the database is newer,
// settings from the environment (HOST=0.0.0.0), /metrics, liveness and readiness, request ids,
// trust proxy, and overload answered 503 rather than with growing latency.

import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, startServer, type RunningServer } from '../../server/index.ts';
import { openServerDatabase } from '../../server/storage/database.ts';
import { serverMigrations } from '../../server/storage/migrations.ts';
import {
  ProtocolClient,
  attemptRecord,
  countRows,
  createTestDatabase,
  postgresUnavailableReason,
  spawnServerProcess,
  testClient,
  type Backend,
  type TestDatabase,
} from '../helpers/server.ts';
import { putClients } from '../../server/index.ts';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] server operations on PostgreSQL skipped: ${pgReason}`);
const backends: { backend: Backend; skip: boolean }[] = [
  { backend: 'sqlite', skip: false },
  { backend: 'postgres', skip: pgReason !== null },
];
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'server/cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function migrationRows(url: string): Promise<string[]> {
  const sdb = await openServerDatabase(url, { migrate: false, poolSize: 1 }).catch(async () => {
    // A newer database is refused by openServerDatabase itself: read the table with a bare handle.
    const { createServerDatabase } = await import('../../server/storage/database.ts');
    return createServerDatabase(url, { poolSize: 1 });
  });
  try {
    const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(sdb.db);
    return rows.rows.map((r) => r.name);
  } finally {
    await sdb.close();
  }
}

async function waitForHealth(url: string, status: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await fetch(`${url}/health`)).status;
    if (last === status) return last;
    await sleep(200);
  }
  return last;
}

describe.each(backends)('migrations on $backend', ({ backend, skip }) => {
  let database: TestDatabase;
  beforeAll(async () => {
    if (!skip) database = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it.skipIf(skip)('`migrate` runs them once and says so; a second run has nothing to do', { timeout: 30_000 }, async () => {
    const first = await cli(['migrate', '--db', database.url]);
    expect(first.code, first.stderr).toBe(0);
    const names = Object.keys(await serverMigrations.getMigrations());
    expect(first.stdout).toContain(`Migrations appliquées`);
    for (const name of names) expect(first.stdout).toContain(name);
    const second = await cli(['migrate', '--db', database.url]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('est à jour : aucune migration à appliquer');
    expect(await migrationRows(database.url)).toEqual([...names].sort());
  });

  it.skipIf(skip)('a database migrated by a newer version is refused by migrate, admin and serve, and left untouched', { timeout: 60_000 }, async () => {
    const fresh = await createTestDatabase(backend);
    try {
      // Migrated by an older version up to 0002, then by a newer one that added a migration of its own:
      // refusing must not apply 0003 either.
      const sdb = await openServerDatabase(fresh.url, { migrate: false, poolSize: 1 });
      const names = Object.keys(await serverMigrations.getMigrations());
      await new Migrator({ db: sdb.db, provider: serverMigrations }).migrateTo(names[1]!);
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_a_newer_server', '2030-01-01T00:00:00.000Z')`.execute(sdb.db);
      await sdb.close();
      const before = await migrationRows(fresh.url);

      const migrate = await cli(['migrate', '--db', fresh.url]);
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toContain('Cette base a été migrée par une version plus récente du serveur');
      expect(migrate.stderr).toContain('9999_from_a_newer_server');
      expect(migrate.stderr).toContain('la base n’a pas été modifiée');

      const admin = await cli(['admin', 'create-agent', '--db', fresh.url, '--name', 'Awa Diallo']);
      expect(admin.code).toBe(1);
      expect(admin.stderr).toContain('version plus récente');

      const serve = await cli(['--db', fresh.url, '--port', '0']);
      expect(serve.code).toBe(1);
      const fatal = serve.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'cannot serve this database');
      expect(fatal?.level).toBe(60);
      expect(fatal?.reason).toContain('9999_from_a_newer_server');

      expect(await migrationRows(fresh.url)).toEqual(before);
      expect(before).not.toContain(names[2]);
    } finally {
      await fresh.drop();
    }
  });

  it.skipIf(skip)('--no-migrate waits (503) until someone runs `migrate`, then serves', { timeout: 60_000 }, async () => {
    const fresh = await createTestDatabase(backend);
    const server = await spawnServerProcess(fresh.url, ['--no-migrate'], { waitReady: false });
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
      await sleep(600);
      const waiting = server.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'database not migrated yet, retrying');
      expect(waiting.length).toBeGreaterThan(0);
      expect(waiting[0].reason).toContain('0001_initial');
      const migrated = await cli(['migrate', '--db', fresh.url]);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(await waitForHealth(server.url, 200, 20_000)).toBe(200);
    } finally {
      await server.stop();
      await fresh.drop();
    }
  });
});

describe('settings from the environment', () => {
  it('HOST=0.0.0.0 listens on every interface; settings come from their variables', { timeout: 30_000 }, async () => {
    const database = await createTestDatabase('sqlite');
    const server = await spawnServerProcess(database.url, [], {
      env: { HOST: '0.0.0.0', DESK_SERVER_RATE_LIMIT_MAX: '3', DESK_SERVER_LOG_LEVEL: 'info' },
    });
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal);
      if (external) {
        const port = new URL(server.url).port;
        expect((await fetch(`http://${external.address}:${port}/health`)).status).toBe(200);
      } else console.warn('[server-operations] no non-loopback IPv4 address here: 0.0.0.0 checked on 127.0.0.1 only');
      // DESK_SERVER_RATE_LIMIT_MAX=3: the fourth request of a token in the window is refused.
      const agent = await createAgent(database.url, 'Awa Diallo');
      const api = new ProtocolClient(server.url, agent.token);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await api.me()).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await server.stop();
      await database.drop();
    }
  });

  it('a wrong value stops the start with a clear message naming the variable (exit 2)', { timeout: 30_000 }, async () => {
    const answer = await cli(['--db', join(root, 'data-never-created', 'x.db')], { DESK_SERVER_POOL_SIZE: 'lots', DESK_SERVER_TRUST_PROXY: 'yes please' });
    expect(answer.code).toBe(2);
    expect(answer.stderr).toContain('Réglage invalide DESK_SERVER_POOL_SIZE = "lots" : un entier est attendu');
    expect(answer.stderr).toContain('Réglage invalide DESK_SERVER_TRUST_PROXY = "yes please"');
  });
});

interface Captured {
  lines: Record<string, any>[];
  stream: { write(line: string): void };
}
function captureLogs(): Captured {
  const lines: Record<string, any>[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

describe.each(backends)('observability on $backend', ({ backend, skip }) => {
  let database: TestDatabase;
  let server: RunningServer;
  let logs: Captured;
  beforeAll(async () => {
    if (skip) return;
    database = await createTestDatabase(backend);
    logs = captureLogs();
    server = await startServer({ db: database.url, logger: { stream: logs.stream }, trustProxy: ['127.0.0.1'] });
    await putClients(database.url, [testClient('M1'), testClient('M2')]);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it.skipIf(skip)('liveness and readiness', async () => {
    const live = await fetch(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });

  it.skipIf(skip)('honours a sane X-Request-Id (echoed, in the log line), replaces a strange one', async () => {
    const agent = await createAgent(database.url, 'Awa Diallo');
    const given = new ProtocolClient(server.url, agent.token, { 'x-request-id': 'lb-7f3a.42' });
    const answer = await given.me();
    expect(answer.headers.get('x-request-id')).toBe('lb-7f3a.42');
    await sleep(50);
    expect(logs.lines.find((l) => l.reqId === 'lb-7f3a.42' && l.msg === 'request')).toMatchObject({ route: '/v1/me', status: 200 });
    const strange = new ProtocolClient(server.url, agent.token, { 'x-request-id': 'a b <script>' });
    const replaced = (await strange.me()).headers.get('x-request-id');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const none = (await new ProtocolClient(server.url, agent.token).me()).headers.get('x-request-id');
    expect(none).toMatch(/^[0-9a-f-]{36}$/);
    expect(none).not.toBe(replaced);
  });

  it.skipIf(skip)('believes X-Forwarded-For only from the trusted proxy', async () => {
    await fetch(`${server.url}/health/live`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'via-proxy' } });
    await sleep(50);
    expect(logs.lines.find((l) => l.reqId === 'via-proxy' && l.msg === 'request')?.ip).toBe('203.0.113.7');
    const direct = captureLogs();
    const untrusting = await startServer({ db: database.url, logger: { stream: direct.stream } });
    try {
      await fetch(`${untrusting.url}/health/live`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'no-proxy' } });
      await sleep(50);
      expect(direct.lines.find((l) => l.reqId === 'no-proxy' && l.msg === 'request')?.ip).toBe('127.0.0.1');
    } finally {
      await untrusting.close();
    }
  });

  it.skipIf(skip)('/metrics counts requests by route and status, push items by outcome, pulled records, pool use and event-loop lag', async () => {
    const agent = await createAgent(database.url, 'Marc Petit');
    const api = new ProtocolClient(server.url, agent.token);
    const a = attemptRecord({ clientCode: 'M1', agentId: agent.agentId });
    const b = attemptRecord({ clientCode: 'M2', agentId: agent.agentId });
    const unknownClient = attemptRecord({ clientCode: 'NOPE', agentId: agent.agentId });
    expect((await api.push('device-1', [a, b, unknownClient].map((record) => ({ kind: 'attempt', record })))).status).toBe(200);
    expect((await api.push('device-1', [{ kind: 'attempt', record: a }])).status).toBe(200);
    await api.pullAll('0');
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const value = (line: string) => {
      const found = text.split('\n').find((l) => l.startsWith(`${line} `));
      return found === undefined ? undefined : Number(found.slice(line.length + 1));
    };
    expect(value('desk_http_requests_total{method="POST",route="/v1/push",status="200"}')).toBe(2);
    expect(value('desk_push_items_total{kind="attempt",outcome="applied"}')).toBe(2);
    expect(value('desk_push_items_total{kind="attempt",outcome="duplicate"}')).toBe(1);
    expect(value('desk_push_items_total{kind="attempt",outcome="rejected"}')).toBe(1);
    expect(value('desk_pulled_records_total{kind="attempt"}')).toBeGreaterThanOrEqual(2);
    expect(value('desk_pulled_records_total{kind="client"}')).toBeGreaterThanOrEqual(2);
    expect(value('desk_ready')).toBe(1);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('desk_http_request_duration_seconds_bucket');
    if (backend === 'postgres') {
      expect(value('desk_db_pool_connections{state="total"}')).toBeGreaterThan(0);
      expect(value('desk_db_pool_connections{state="waiting"}')).toBe(0);
    }
    // No token, no URL with its query string, in what a scraper reads.
    expect(text).not.toContain(agent.token);
    expect(text).not.toContain('cursor=');
  });
});

describe('overload', () => {
  it('answers 503 with Retry-After while the event loop lags, keeps liveness answering, then serves again', { timeout: 30_000 }, async () => {
    const database = await createTestDatabase('sqlite');
    const server = await startServer({ db: database.url, maxEventLoopDelayMs: 50, pressureSampleIntervalMs: 50 });
    try {
      const agent = await createAgent(database.url, 'Awa Diallo');
      const api = new ProtocolClient(server.url, agent.token);
      const calm = async () => {
        // The lag is sampled every 50 ms: once the loop is idle again, requests pass.
        for (let i = 0; i < 100; i++) {
          const status = (await api.me()).status;
          if (status === 200) return status;
          await sleep(50);
        }
        return 503;
      };
      expect(await calm()).toBe(200);
      // This process is the server: keeping its event loop busy is what an overloaded server feels.
      const busy = (ms: number) => {
        const end = performance.now() + ms;
        while (performance.now() < end);
      };
      let refused: Awaited<ReturnType<ProtocolClient['me']>> | null = null;
      let live = 0;
      for (let i = 0; i < 20 && !refused; i++) {
        const asked = api.me();
        const liveness = fetch(`${server.url}/health/live`);
        busy(200);
        const answer = await asked;
        live = (await liveness).status;
        if (answer.status === 503) refused = answer;
        else expect(answer.status).toBe(200);
      }
      expect(refused, 'no request was refused while the event loop lagged').not.toBeNull();
      expect(refused!.body.error.code).toBe('server.unavailable');
      expect(refused!.body.error.message.fr).toContain('overloaded');
      expect(refused!.headers.get('retry-after')).toBe('5');
      expect(live).toBe(200);
      expect(await calm()).toBe(200);
      expect((await countRows(database.url)).agents).toBe(1);
    } finally {
      await server.close();
      await database.drop();
    }
  });
});

// The server survives its PostgreSQL: backends killed under it (pg_terminate_backend, as a restart
// or a failover does) while pushes are in flight and between requests, and a database that is not
// there yet when the server starts. Affected requests answer 503 server.unavailable with
// Retry-After; the process stays up and serves again as soon as the database answers.
// The machine's PostgreSQL service itself is never stopped: only this test's backends are killed.

import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, putClients, type IssuedToken } from '../../server/index.ts';
import {
  ProtocolClient,
  attemptRecord,
  createPostgresDatabase,
  postgresAdminUrl,
  postgresUnavailableReason,
  spawnServerProcess,
  testClient,
  type ServerProcess,
  type TestDatabase,
} from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] database-loss tests need PostgreSQL: ${pgReason}`);

async function adminQuery(statement: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return await client.query(statement, values);
  } finally {
    await client.end();
  }
}

/** Kills every backend connected to the database (the server's pool), as a PostgreSQL restart does. */
async function killBackends(database: TestDatabase): Promise<number> {
  const name = new URL(database.url).pathname.slice(1);
  const result = await adminQuery(
    'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  return result.rows[0].n as number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectAlive(server: ServerProcess): void {
  expect(server.child.exitCode, server.lines.slice(-5).join('\n')).toBeNull();
  expect(server.child.signalCode).toBeNull();
}

describe.skipIf(pgReason !== null)('PostgreSQL connections lost under a running server', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let agent: IssuedToken;
  let api: ProtocolClient;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    server = await spawnServerProcess(database.url);
    await putClients(database.url, Array.from({ length: 50 }, (_, i) => testClient(`L${i}`)));
    agent = await createAgent(database.url, 'Awa Diallo');
    api = new ProtocolClient(server.url, agent.token);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('answers 503 with Retry-After to the pushes in flight, stays up, then applies every batch', { timeout: 120_000 }, async () => {
    const batch = (b: number) =>
      Array.from({ length: 200 }, (_, k) => ({
        kind: 'attempt',
        record: attemptRecord({ clientCode: `L${(b * 7 + k) % 50}`, agentId: agent.agentId, deviceId: `device-${b % 4}` }),
      }));
    const batches: ReturnType<typeof batch>[] = [];
    const statuses = new Map<number, number>();
    const pending = new Set<number>();
    let killed = 0;
    // Rounds of 24 pushes in flight (the refused ones again, topped up with new batches), each hit by a
    // kill while it is being written and another between requests, until some were caught mid-write.
    for (let round = 0; round < 12 && (round < 3 || (statuses.get(503) ?? 0) === 0); round++) {
      while (pending.size < 24) {
        batches.push(batch(batches.length));
        pending.add(batches.length - 1);
      }
      const inFlight = [...pending].map(async (i) => {
        const answer = await api.push(`device-${i % 4}`, batches[i]!);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 200) {
          pending.delete(i);
          return;
        }
        expect(answer.status, JSON.stringify(answer.body)).toBe(503);
        expect(answer.body.error.code).toBe('server.unavailable');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      });
      await sleep(15 + (round % 6) * 10);
      killed += await killBackends(database);
      await Promise.all(inFlight);
      expectAlive(server);
      killed += await killBackends(database);
    }
    expect(killed).toBeGreaterThan(0);
    expect(statuses.get(503) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
    // What was refused goes through once the pool has new connections: nothing lost, nothing doubled.
    // A connection killed just before may still be lent once (503 again): re-sent as a device does.
    for (const i of pending) {
      let answer = await api.push(`device-${i % 4}`, batches[i]!);
      for (let retry = 0; retry < 5 && answer.status === 503; retry++) {
        await sleep(100);
        answer = await api.push(`device-${i % 4}`, batches[i]!);
      }
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    // The last round's kill may have left dead connections the pushes above did not meet: the pull can
    // meet them too, and is asked again as a device would.
    const all = await api.pullAll('0', 1000, 10);
    const ids = all.changes.filter((c) => c.kind === 'attempt').map((c) => c.record.id);
    expect(new Set(ids).size).toBe(batches.length * 200);
    expect(ids.length).toBe(batches.length * 200);
    expectAlive(server);
  });

  it('requests after the pool lost all its connections are answered (503 at worst), and success follows at once', { timeout: 30_000 }, async () => {
    await killBackends(database);
    // Each dead connection still in the pool can fail one request before the pool drops it.
    const answers = [];
    for (let i = 0; i < 15; i++) {
      const answer = await api.me();
      answers.push(answer.status);
      if (answer.status === 200) break;
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
    }
    expect(answers.at(-1), JSON.stringify(answers)).toBe(200);
    expect(answers.length).toBeLessThanOrEqual(11);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expectAlive(server);
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe.skipIf(pgReason !== null)('starting while the database is unreachable', () => {
  it('waits with backoff, answers /health 503 meanwhile, and 200 once the database exists and is migrated', { timeout: 90_000 }, async () => {
    const name = `desk_test_${randomBytes(6).toString('hex')}`;
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${name}`;
    const server = await spawnServerProcess(url.toString(), [], { waitReady: false });
    try {
      const early = await fetch(`${server.url}/health`);
      expect(early.status).toBe(503);
      expect(((await early.json()) as any).error.code).toBe('server.unavailable');
      expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0);
      const live = await fetch(`${server.url}/health/live`);
      expect(live.status).toBe(200);
      const token = new ProtocolClient(server.url, 'ndk_whatever');
      expect((await token.me()).status).toBe(503);

      await adminQuery(`CREATE DATABASE ${name}`);
      const deadline = Date.now() + 30_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await fetch(`${server.url}/health`)).status;
        if (status === 200) break;
        await sleep(250);
      }
      expect(status).toBe(200);
      const tries = server.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'database not reachable yet, retrying');
      expect(tries.length).toBeGreaterThan(0);
      expect(tries[0].retryInMs).toBeGreaterThan(0);
      expect(JSON.stringify(tries)).not.toContain('password');
      const agent = await createAgent(url.toString(), 'Awa Diallo');
      expect((await new ProtocolClient(server.url, agent.token).me()).status).toBe(200);
      expectAlive(server);
    } finally {
      await server.stop();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('waits on a closed port too, and exits cleanly on SIGTERM while waiting', { timeout: 60_000 }, async () => {
    const port = await closedPort();
    const server = await spawnServerProcess(`postgres://postgres@127.0.0.1:${port}/nowhere`, [], { waitReady: false });
    try {
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(503);
      await sleep(1500);
      const tries = server.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'database not reachable yet, retrying');
      expect(tries.length).toBeGreaterThan(1);
      // Exponential: each wait is longer than the one before (up to its cap).
      expect(tries[1].retryInMs).toBeGreaterThan(tries[0].retryInMs);
      expectAlive(server);
    } finally {
      const started = Date.now();
      await server.stop();
      expect(Date.now() - started).toBeLessThan(5000);
      expect(server.child.exitCode).toBe(0);
    }
  });

  it('stops (exit 1, one fatal line) on what waiting cannot fix: a role the database does not know', { timeout: 30_000 }, async () => {
    const url = new URL(postgresAdminUrl);
    url.username = 'no_such_desk_role';
    url.password = 'secret-never-logged';
    const server = await spawnServerProcess(url.toString(), [], { waitReady: false });
    const code = await new Promise<number | null>((resolve) => {
      if (server.child.exitCode !== null) resolve(server.child.exitCode);
      else server.child.once('exit', (exitCode) => resolve(exitCode));
    });
    expect(code).toBe(1);
    const fatal = server.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'cannot serve this database');
    expect(fatal?.level).toBe(60);
    expect(fatal?.reason).toContain('no_such_desk_role');
    expect(server.lines.join('\n')).not.toContain('secret-never-logged');
  });
});

// SIGTERM on a busy server (a deploy, a systemd restart): it stops accepting, finishes the pushes in
// flight, closes its kept-alive connections and its pool, and exits within a few seconds. The
// requests it refuses meanwhile get 503 with Retry-After, logged at info level without a stack.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, putClients } from '../../server/index.ts';
import {
  ProtocolClient,
  attemptRecord,
  countRows,
  createPostgresDatabase,
  postgresUnavailableReason,
  spawnServerProcess,
  testClient,
  type TestDatabase,
} from '../helpers/server.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] shutdown test needs PostgreSQL: ${pgReason}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(pgReason !== null)('SIGTERM with pushes in flight on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    await putClients(database.url, Array.from({ length: 20 }, (_, i) => testClient(`S${i}`)));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('drains and exits within a few seconds; every answered push is stored, refusals are 503 logged at info', { timeout: 60_000 }, async () => {
    const server = await spawnServerProcess(database.url);
    const agent = await createAgent(database.url, 'Awa Diallo');
    const api = new ProtocolClient(server.url, agent.token);
    // Kept-alive connections that sit idle when the signal comes.
    for (let i = 0; i < 4; i++) expect((await api.me()).status).toBe(200);

    const applied: string[] = [];
    const outcomes = { ok: 0, refused: 0, cut: 0 };
    let stopAt = Infinity;
    const device = async (d: number) => {
      for (let round = 0; Date.now() < stopAt; round++) {
        const records = Array.from({ length: 500 }, (_, k) =>
          attemptRecord({ clientCode: `S${(d + k) % 20}`, agentId: agent.agentId, deviceId: `device-${d}` }),
        );
        try {
          const answer = await api.push(`device-${d}`, records.map((record) => ({ kind: 'attempt', record })));
          if (answer.status === 200) {
            outcomes.ok++;
            applied.push(...records.map((r) => r.id));
          } else {
            expect(answer.status, JSON.stringify(answer.body)).toBe(503);
            expect(answer.headers.get('retry-after')).toBe('5');
            outcomes.refused++;
          }
        } catch {
          // The listener is closed: connection refused. A device retries later.
          outcomes.cut++;
          await sleep(20);
        }
      }
    };
    const devices = Array.from({ length: 8 }, (_, d) => device(d));
    await sleep(800);
    const signalled = Date.now();
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    const code = await exited;
    const tookMs = Date.now() - signalled;
    stopAt = 0;
    await Promise.all(devices);

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(5000);
    expect(outcomes.ok).toBeGreaterThan(0);
    // Every push answered 200 is in the database: the drain finished it before the pool closed.
    const rows = await countRows(database.url);
    expect(rows.attempts).toBeGreaterThanOrEqual(applied.length);

    const logs = server.lines.map((line) => JSON.parse(line));
    expect(logs.some((l) => l.msg === 'stopping' && l.signal === 'SIGTERM')).toBe(true);
    const problems = logs.filter((l) => l.level >= 50 || JSON.stringify(l).includes('"stack"'));
    expect(problems, JSON.stringify(problems.slice(0, 3))).toEqual([]);
    for (const line of logs.filter((l) => l.msg === 'refused while shutting down')) expect(line.level).toBe(30);
    console.log(`[shutdown] exit after ${tookMs} ms; pushes ok ${outcomes.ok}, 503 ${outcomes.refused}, refused connections ${outcomes.cut}`);
  });

  it('a stalled upload or a silent connection cannot hold the exit past the drain time', { timeout: 60_000 }, async () => {
    const server = await spawnServerProcess(database.url, [], { env: { DESK_SERVER_DRAIN_TIMEOUT_MS: '1500' } });
    const agent = await createAgent(database.url, 'Marc Petit');
    const { hostname, port } = new URL(server.url);
    const open = (write: string) =>
      new Promise<ReturnType<typeof connect>>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(write);
          resolve(socket);
        });
        socket.on('error', () => undefined);
        socket.once('error', reject);
      });
    // Headers and half a body, then nothing: a device on a link that stopped mid-upload.
    const body = JSON.stringify({ protocol: 1, deviceId: 'device-slow', items: [] });
    const stalled = await open(
      `POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agent.token}\r\nX-Desk-Protocol: 1\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length + 1000}\r\n\r\n${body.slice(0, 10)}`,
    );
    const silent = await open('');
    await sleep(200);
    const signalled = Date.now();
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    const code = await exited;
    const tookMs = Date.now() - signalled;
    stalled.destroy();
    silent.destroy();
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(4000);
    console.log(`[shutdown] with a stalled upload: exit after ${tookMs} ms (drain time 1500 ms)`);
  });
});

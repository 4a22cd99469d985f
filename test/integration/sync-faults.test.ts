// Faults between a device and the server — lost requests, answers lost after the server
// committed, duplicated and delayed requests, 429/503, a server killed mid-push, a device killed
// at the worst moments — then the network heals and everything converges, exactly once.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { revokeToken } from '../../server/index.ts';
import { SyncFailure } from '../../sync/http.ts';
import { SyncScheduler } from '../../sync/scheduler.ts';
import { SyncEngine } from '../../sync/engine.ts';
import type { SyncState } from '../../contract/index.ts';
import { FaultProxy, type Fault } from '../helpers/fault-proxy.ts';
import {
  createSqliteDatabase,
  ProtocolClient,
  spawnServerProcess,
  startTestServer,
  testClient,
  type TestServer,
} from '../helpers/server.ts';
import { TestDevice } from '../helpers/sync-device.ts';
import { createAgent, putClients } from '../../server/index.ts';

const root = resolve(import.meta.dirname, '../..');

async function feedCounts(url: string, token: string): Promise<Map<string, number>> {
  const { changes } = await new ProtocolClient(url, token).pullAll('0', 5000);
  const counts = new Map<string, number>();
  for (const c of changes) {
    const key = c.kind === 'attempt' ? c.record.id : c.kind === 'void' ? `void:${c.record.attemptId}` : null;
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Every attempt and void of the device is on the server exactly once; its outbox is empty. */
async function expectConverged(url: string, token: string, devices: TestDevice[]): Promise<void> {
  const counts = await feedCounts(url, token);
  const [first, ...others] = await Promise.all(devices.map((d) => d.snapshot()));
  for (const a of first!.attempts) expect(counts.get(a.id), `attempt ${a.id} on the server`).toBe(1);
  for (const v of first!.voids) expect(counts.get(`void:${v.attemptId}`), `void ${v.attemptId} on the server`).toBe(1);
  expect(first!.outbox).toEqual({ pending: 0, dead: 0 });
  for (const other of others) {
    expect(other.attempts).toEqual(first!.attempts);
    expect(other.voids).toEqual(first!.voids);
    expect(other.clients).toEqual(first!.clients);
    expect(other.outbox).toEqual({ pending: 0, dead: 0 });
  }
}

describe('sync under network faults (SQLite server behind a fault proxy)', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  const devices: TestDevice[] = [];
  let seq = 0;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    proxy = await FaultProxy.start(server.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });
  afterEach(async () => {
    proxy.heal();
    for (const d of devices.splice(0)) await d.cleanup();
  });

  async function pair() {
    const code = `F-${++seq}`;
    await server.clients([testClient(code)]);
    const agent = await server.agent(`Agent ${seq}`);
    const a = await TestDevice.create();
    const b = await TestDevice.create();
    devices.push(a, b);
    await a.enrol(proxy.url, agent.token);
    await b.enrol(proxy.url, (await server.agent(`Collègue ${seq}`)).token);
    await a.sync();
    await b.sync();
    return { code, agent, a, b };
  }

  const cases: { name: string; fault: Fault; path: string; times: number; fails: boolean }[] = [
    // A connection cut during a push is retried once, then the batch split (a 413 lost in an upload
    // looks the same): enough cuts that the run still fails and the next one has to converge.
    { name: 'a push request lost before the server', fault: { kind: 'dropRequest' }, path: '/v1/push', times: 12, fails: true },
    { name: 'a push answer lost after the server committed', fault: { kind: 'dropResponse' }, path: '/v1/push', times: 12, fails: true },
    { name: 'a push request lost once', fault: { kind: 'dropRequest' }, path: '/v1/push', times: 1, fails: false },
    { name: 'a push request delivered twice', fault: { kind: 'duplicate' }, path: '/v1/push', times: 3, fails: false },
    { name: 'a push delayed past the device’s time limit', fault: { kind: 'delay', ms: 1500 }, path: '/v1/push', times: 1, fails: true },
    { name: 'a 503 with Retry-After', fault: { kind: 'status', status: 503, retryAfterSeconds: 1 }, path: '/v1/push', times: 1, fails: true },
    { name: 'a pull answer lost', fault: { kind: 'dropResponse' }, path: '/v1/changes', times: 1, fails: true },
  ];

  for (const c of cases) {
    it(`converges exactly once after ${c.name}`, async () => {
      const { code, agent, a, b } = await pair();
      for (let i = 0; i < 4; i += 1) await a.click(code, i % 2 ? 'failure' : 'success');
      const last = await a.click(code);
      await a.desk.voidAttempt({ attemptId: last.attempt.id, reason: 'Erreur' });

      proxy.inject(c.fault, { path: c.path, times: c.times });
      // Small batches, so that a fault hits the middle of the queue, not just all of it.
      const attempt = a.sync({ pushMaxItems: 2, timeoutMs: 1000 });
      if (c.fails) await expect(attempt).rejects.toBeInstanceOf(SyncFailure);
      else await attempt;

      proxy.heal();
      // A delayed request may still be on its way to the server: let it land first.
      if (c.fault.kind === 'delay') await new Promise((r) => setTimeout(r, c.fault.kind === 'delay' ? c.fault.ms : 0));
      await a.sync({ pushMaxItems: 2 });
      await b.sync();
      await a.sync();
      await expectConverged(server.url, agent.token, [a, b]);
      expect(proxy.count(c.path, c.fault.kind)).toBeGreaterThan(0);
    });
  }

  it('a void never overtakes its attempt, even when the attempt’s request is slow', async () => {
    const { code, agent, a, b } = await pair();
    const clicked = await a.click(code, 'success');
    await a.desk.voidAttempt({ attemptId: clicked.attempt.id, reason: 'Erreur' });
    // One item per request, three requests in flight: the attempt's request is held back.
    proxy.inject({ kind: 'delay', ms: 300 }, { path: '/v1/push', times: 1 });
    const report = await a.sync({ pushMaxItems: 1, pushConcurrency: 3 });
    expect(report.push).toMatchObject({ applied: 2, rejected: 0 });
    await b.sync();
    await expectConverged(server.url, agent.token, [a, b]);
  });

  it('the scheduler backs off with jitter, honours Retry-After, and recovers through /health', async () => {
    const { code, a } = await pair();
    await a.click(code);
    const states: SyncState[] = [];
    const probes: string[] = [];
    const scheduler = new SyncScheduler({
      db: a.engineDb.db,
      createRunner: (target, signal) => {
        const engine = new SyncEngine({ db: a.engineDb.db, deviceId: a.deviceId, ...target, signal, timeoutMs: 1000 });
        return { sync: () => engine.sync(), probe: () => (probes.push('health'), engine.probe()) };
      },
      onState: (s) => states.push(s),
      timing: { intervalMs: 60_000, debounceMs: 50, backoffBaseMs: 200, backoffCapMs: 2000 },
      random: () => 0, // the jitter's floor, so that Retry-After decides
    });
    try {
      proxy.inject({ kind: 'status', status: 503, retryAfterSeconds: 1 }, { path: '/v1/push', times: 1 });
      const before = Date.now();
      const token = (await a.engineDb.db.selectFrom('meta').select('value').where('key', '=', 'sync_token').executeTakeFirstOrThrow()).value;
      scheduler.configure({ serverUrl: proxy.url, token });
      await waitFor(() => states.some((s) => s.phase === 'offline'), 5000);
      const failed = states.find((s) => s.phase === 'offline')!;
      expect(failed.online).toBe(true);
      expect(failed.pending).toBe(1);
      expect(failed.lastError).toContain('Le serveur a un problème');
      expect(Date.parse(failed.nextAttemptAt!)).toBeGreaterThanOrEqual(before + 1000);
      // The retry probes /health first, then syncs.
      await waitFor(() => states.at(-1)?.phase === 'idle' && states.at(-1)?.pending === 0, 5000);
      expect(probes.length).toBeGreaterThanOrEqual(1);
      expect(states.at(-1)!.lastError).toBeNull();
    } finally {
      await scheduler.stop();
    }
  });

  it('a revoked token stops automatic sync with a clear message, without hammering the server', async () => {
    const { code, agent, a } = await pair();
    await revokeToken(server.database.url, agent.token);
    await a.click(code);
    const states: SyncState[] = [];
    const scheduler = new SyncScheduler({
      db: a.engineDb.db,
      createRunner: (target, signal) => new SyncEngine({ db: a.engineDb.db, deviceId: a.deviceId, ...target, signal }),
      onState: (s) => states.push(s),
      timing: { intervalMs: 100, debounceMs: 20, backoffBaseMs: 50, backoffCapMs: 200 },
    });
    try {
      const before = proxy.log.length;
      scheduler.configure({ serverUrl: proxy.url, token: agent.token });
      await waitFor(() => states.at(-1)?.phase === 'error', 5000);
      scheduler.nudge();
      scheduler.nudge();
      await new Promise((r) => setTimeout(r, 800)); // eight intervals, were it still trying
      expect(proxy.log.length - before).toBe(1);
      const state = states.at(-1)!;
      expect(state).toMatchObject({ phase: 'error', pending: 1, nextAttemptAt: null });
      expect(state.lastError).toContain('jeton d’accès');
      expect(state.lastError).toContain('auth.revoked');
    } finally {
      await scheduler.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('sync across crashes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a server killed mid-push and restarted on the same database loses nothing and stores nothing twice', async () => {
    const database = createSqliteDatabase();
    cleanups.push(() => database.drop());
    const agent = await createAgent(database.url, 'Awa Diallo');
    await putClients(database.url, [testClient('K-1')]);
    let serverProcess = await spawnServerProcess(database.url);
    // A SIGKILLed child has no exit code, only a signal: nothing left to stop then.
    cleanups.push(async () => {
      await serverProcess.stop();
    });
    const proxy = await FaultProxy.start(serverProcess.url);
    cleanups.push(() => proxy.close());
    const device = await TestDevice.create();
    cleanups.push(() => device.cleanup());
    await device.enrol(proxy.url, agent.token);
    await device.sync();
    for (let i = 0; i < 60; i += 1) await device.click('K-1', i % 3 ? 'success' : 'failure');

    // SIGKILL the server once two pushes are answered, with more requests in flight behind them.
    let answers = 0;
    const killed = device.sync({
      pushMaxItems: 5,
      pushConcurrency: 3,
      hooks: {
        afterPushAnswer: () => {
          answers += 1;
          if (answers === 2) serverProcess.child.kill('SIGKILL');
        },
      },
    });
    await expect(killed).rejects.toBeInstanceOf(SyncFailure);
    const pending = (await device.snapshot()).outbox.pending;
    expect(pending).toBeGreaterThan(0);
    expect(pending).toBeLessThan(60);

    serverProcess = await spawnServerProcess(database.url);
    proxy.setUpstream(serverProcess.url);
    const report = await device.sync({ pushMaxItems: 5 });
    expect(report.push.applied + report.push.duplicate).toBe(pending);
    await expectConverged(serverProcess.url, agent.token, [device]);
    expect((await feedCounts(serverProcess.url, agent.token)).size).toBe(60);
  });

  async function runChild(file: string, mode: string, clientCode: string, clicks: number) {
    const child = spawn(process.execPath, [resolve(root, 'test/helpers/sync-child.ts'), file, mode, clientCode, String(clicks)], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal, stderr })),
    );
  }

  for (const mode of ['after-commit', 'after-answer'] as const) {
    it(`a device killed ${mode === 'after-commit' ? 'between the local commit and the push' : 'between the server’s answer and the outbox update'} converges on its next run`, async () => {
      const server = await startTestServer('sqlite');
      cleanups.push(() => server.stop());
      await server.clients([testClient('D-1')]);
      const agent = await server.agent('Awa Diallo');
      const device = await TestDevice.create();
      cleanups.push(() => device.cleanup());
      await device.enrol(server.url, agent.token);
      await device.sync();
      await device.close(); // the child process owns the file now, as the app would

      const outcome = await runChild(device.file, mode, 'D-1', 7);
      expect(outcome.signal, outcome.stderr).toBe('SIGKILL');

      await device.restart();
      const after = await device.snapshot();
      expect(after.attempts).toHaveLength(7); // every committed click survived the kill
      expect(after.outbox.pending).toBe(7); // and is still to be told (the answer, if any, was lost)
      const onServer = await feedCounts(server.url, agent.token);
      expect(onServer.size).toBe(mode === 'after-answer' ? 7 : 0);

      const report = await device.sync();
      expect(report.push).toMatchObject(mode === 'after-answer' ? { applied: 0, duplicate: 7 } : { applied: 7, duplicate: 0 });
      await expectConverged(server.url, agent.token, [device]);
      expect(await device.desk.getClient({ code: 'D-1' })).toMatchObject({ attemptCount: 7, status: 'success' });
    });
  }
});

// Two server PROCESSES (the real CLI) on one PostgreSQL database, 50 devices pushing and pulling
// at the same time through both, with lost answers re-sent to the other instance. At the end every
// pushed attempt is on the server exactly once, and every device pulled exactly the server's set.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServerDatabase } from '../../server/storage/database.ts';
import {
  ProtocolClient,
  attemptRecord,
  createPostgresDatabase,
  postgresUnavailableReason,
  spawnServerProcess,
  testClient,
  voidRecord,
  type ServerProcess,
  type TestDatabase,
} from '../helpers/server.ts';
import { createAgent, putClients, type IssuedToken } from '../../server/index.ts';
import { serverMigrations } from '../../server/storage/migrations.ts';

const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[skip] concurrency test needs PostgreSQL: ${pgReason}`);

const devicesCount = 50;
const agentsCount = 25; // two devices per agent
const rounds = 8;
const batchSize = 25;
const clientsCount = 200;

interface Device {
  id: string;
  agentId: string;
  apis: ProtocolClient[];
  cursor: string;
  pulled: Map<string, unknown>;
  voidsPulled: Set<string>;
  pushedAttempts: string[];
  pushedVoids: string[];
}

describe.skipIf(pgReason !== null)('two server processes on one PostgreSQL, 50 devices', () => {
  let database: TestDatabase;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    // Both processes start at once: the migration must run exactly once.
    servers = await Promise.all([spawnServerProcess(database.url), spawnServerProcess(database.url)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await database?.drop();
  });

  it('stores every pushed attempt once and every device pulls the server’s exact set', { timeout: 240_000 }, async () => {
    await putClients(
      database.url,
      Array.from({ length: clientsCount }, (_, i) => testClient(`K${String(i).padStart(4, '0')}`)),
    );
    const agents: IssuedToken[] = [];
    for (let i = 0; i < agentsCount; i++) agents.push(await createAgent(database.url, `Agent ${i + 1}`));
    const devices: Device[] = Array.from({ length: devicesCount }, (_, i) => {
      const agent = agents[i % agentsCount]!;
      return {
        id: `device-${i}`,
        agentId: agent.agentId,
        apis: servers.map((s) => new ProtocolClient(s.url, agent.token, { 'x-desk-device': `device-${i}` })),
        cursor: '0',
        pulled: new Map(),
        voidsPulled: new Set(),
        pushedAttempts: [],
        pushedVoids: [],
      };
    });

    let requests = 0;
    const pushMs: number[] = [];
    const pullMs: number[] = [];
    const timed = async <T>(into: number[], work: Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const result = await work;
      into.push(performance.now() - t0);
      return result;
    };
    const pull = async (device: Device, api: ProtocolClient) => {
      for (;;) {
        const page = await timed(pullMs, api.changes(device.cursor, 500));
        requests++;
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        for (const change of page.body.changes) {
          if (change.kind === 'attempt') device.pulled.set(change.record.id, change.record);
          if (change.kind === 'void') device.voidsPulled.add(change.record.attemptId);
        }
        expect(BigInt(page.body.nextCursor)).toBeGreaterThanOrEqual(BigInt(device.cursor));
        device.cursor = page.body.nextCursor;
        if (!page.body.hasMore) return;
      }
    };

    const run = async (device: Device, index: number) => {
      let previous: unknown[] | null = null;
      for (let round = 0; round < rounds; round++) {
        const api = device.apis[(index + round) % device.apis.length]!;
        const other = device.apis[(index + round + 1) % device.apis.length]!;
        const records = Array.from({ length: batchSize }, (_, k) =>
          attemptRecord({
            clientCode: `K${String((index * 7 + round * 13 + k) % clientsCount).padStart(4, '0')}`,
            agentId: round === 0 ? 'local:before-enrolment' : device.agentId,
            deviceId: device.id,
            status: k % 3 === 0 ? 'failure' : 'success',
          }),
        );
        const items: unknown[] = records.map((record) => ({ kind: 'attempt', record }));
        if (round > 0) {
          // Void the first attempt of the previous round.
          const target = device.pushedAttempts[device.pushedAttempts.length - batchSize]!;
          items.push({ kind: 'void', record: voidRecord({ attemptId: target, agentId: device.agentId, deviceId: device.id }) });
          device.pushedVoids.push(target);
        }
        // Push, and at the same time re-send the previous batch to the other instance, as a device
        // does when an answer was lost.
        const [answer, resent] = await Promise.all([
          timed(pushMs, api.push(device.id, items)),
          previous ? timed(pushMs, other.push(device.id, previous)) : null,
        ]);
        requests += resent ? 2 : 1;
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        expect(answer.body.results.every((r: any) => r.outcome === 'applied')).toBe(true);
        if (resent) {
          expect(resent.status, JSON.stringify(resent.body)).toBe(200);
          expect(resent.body.results.every((r: any) => r.outcome === 'duplicate')).toBe(true);
        }
        device.pushedAttempts.push(...records.map((r) => r.id));
        previous = items;
        await pull(device, other);
      }
    };

    const started = performance.now();
    await Promise.all(devices.map((device, index) => run(device, index)));
    const pushPhaseMs = performance.now() - started;
    await Promise.all(devices.map((device, index) => pull(device, device.apis[index % 2]!)));
    const totalMs = performance.now() - started;

    const pushed = devices.flatMap((d) => d.pushedAttempts);
    const expectedIds = [...pushed].sort();
    const pushedVoids = devices.flatMap((d) => d.pushedVoids);
    expect(new Set(pushed).size).toBe(devicesCount * rounds * batchSize);

    const sdb = await openServerDatabase(database.url, { migrate: false, poolSize: 1 });
    try {
      const stored = await sdb.db.selectFrom('attempts').select(['id', 'agent_id', 'device_id']).execute();
      const storedIds = stored.map((r) => r.id).sort();
      expect(storedIds).toEqual(expectedIds); // each exactly once, nothing else
      const logged = await sdb.db.selectFrom('changes').select(['kind', 'ref']).where('kind', '=', 'attempt').execute();
      expect(logged.map((r) => r.ref).sort()).toEqual(storedIds);
      const voids = await sdb.db.selectFrom('voids').select('attempt_id').execute();
      expect(voids.map((v) => v.attempt_id).sort()).toEqual([...pushedVoids].sort());
      // 'local:' records were attributed to the pushing token's agent.
      const byDevice = new Map(devices.map((d) => [d.id, d.agentId]));
      expect(stored.every((r) => r.agent_id === byDevice.get(r.device_id))).toBe(true);
      // Both processes started together: each migration is recorded once, none twice.
      const migrations = await sdb.db.selectFrom('kysely_migration' as any).select('name' as any).execute();
      expect(migrations.map((m: any) => m.name).sort()).toEqual(Object.keys(await serverMigrations.getMigrations()).sort());
    } finally {
      await sdb.close();
    }
    for (const device of devices) {
      expect([...device.pulled.keys()].sort()).toEqual(expectedIds);
      expect([...device.voidsPulled].sort()).toEqual([...pushedVoids].sort());
    }

    const quantile = (values: number[], q: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    };
    const attemptsPerSecond = Math.round(pushed.length / (pushPhaseMs / 1000));
    const requestsPerSecond = Math.round(requests / (totalMs / 1000));
    console.log(
      `[perf] server concurrency: ${devicesCount} devices, 2 processes, PostgreSQL: ${pushed.length} attempts + ${pushedVoids.length} voids ` +
        `pushed in ${Math.round(pushPhaseMs)} ms (${attemptsPerSecond} attempts/s), ${requests} requests in ${Math.round(totalMs)} ms ` +
        `(${requestsPerSecond} req/s), each device pulled ${pushed.length} attempts; ` +
        `push latency p50 ${quantile(pushMs, 0.5)} ms p99 ${quantile(pushMs, 0.99)} ms (${pushMs.length} pushes), ` +
        `pull page (≤500) p50 ${quantile(pullMs, 0.5)} ms p99 ${quantile(pullMs, 0.99)} ms (${pullMs.length} pages)`,
    );
  });
});

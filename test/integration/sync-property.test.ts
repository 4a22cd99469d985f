// Property: whatever the schedule of clicks, voids, pushes, pulls, network faults and restarts on
// several devices, once the faults heal and a few sync rounds run, every attempt committed on any
// device is on the server exactly once and on every device, voids are applied everywhere, statuses
// agree everywhere and every outbox is empty.
//
// Runs: DESK_PROPERTY_RUNS (default 25, SQLite server) and DESK_PROPERTY_RUNS_PG (default 4,
// PostgreSQL server). Longer mode: DESK_PROPERTY_RUNS=500 DESK_PROPERTY_RUNS_PG=100 npx vitest run
// test/integration/sync-property.test.ts. Replay a failure with DESK_PROPERTY_SEED=<seed printed>.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyncFailure } from '../../sync/http.ts';
import { FaultProxy, type Fault } from '../helpers/fault-proxy.ts';
import { MovableClock } from '../helpers/local-db.ts';
import { postgresUnavailableReason, ProtocolClient, startTestServer, testClient, type Backend } from '../helpers/server.ts';
import { TestDevice } from '../helpers/sync-device.ts';

const runs = { sqlite: Number(process.env.DESK_PROPERTY_RUNS ?? 25), postgres: Number(process.env.DESK_PROPERTY_RUNS_PG ?? 4) };
const seed = process.env.DESK_PROPERTY_SEED ? Number(process.env.DESK_PROPERTY_SEED) : undefined;
const pgReason = await postgresUnavailableReason();
if (pgReason) console.warn(`[sync-property] PostgreSQL runs skipped: ${pgReason}`);

const clientCodes = ['P-1', 'P-2', 'P-3'];
const deviceCount = 3;
/** Devices 0 and 1 belong to the same agent (two desks), device 2 to a colleague. */
const agentOfDevice = [0, 0, 1];
const timeoutMs = 400;

type Step =
  | { kind: 'click'; device: number; client: number; success: boolean }
  | { kind: 'void'; device: number; pick: number }
  | { kind: 'push' | 'pull' | 'sync' | 'restart'; device: number }
  | { kind: 'clock'; device: number; ms: number }
  | { kind: 'fault'; fault: Fault; path: string; times: number };

const device = fc.integer({ min: 0, max: deviceCount - 1 });
const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant<Fault>({ kind: 'dropRequest' }),
  fc.constant<Fault>({ kind: 'dropResponse' }),
  fc.constant<Fault>({ kind: 'duplicate' }),
  fc.constant<Fault>({ kind: 'delay', ms: timeoutMs + 150 }),
  // Slow but in time: later requests overtake it.
  fc.constant<Fault>({ kind: 'delay', ms: 150 }),
  fc.constant<Fault>({ kind: 'status', status: 503, retryAfterSeconds: 0 }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('click' as const), device, client: fc.integer({ min: 0, max: clientCodes.length - 1 }), success: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('void' as const), device, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('push' as const), device }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pull' as const), device }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), device }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), device }) },
  // Clocks drift, even backwards: attempts made "earlier" can reach the server later.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clock' as const), device, ms: fc.integer({ min: -3_600_000, max: 3_600_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      fault,
      path: fc.constantFrom('/v1/push', '/v1/changes'),
      times: fc.integer({ min: 1, max: 3 }),
    }),
  },
);

async function swallowNetwork(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof SyncFailure)) throw error;
  }
}

async function runSchedule(backend: Backend, steps: Step[]): Promise<void> {
  const server = await startTestServer(backend);
  const proxy = await FaultProxy.start(server.url);
  const devices: TestDevice[] = [];
  try {
    await server.clients(clientCodes.map((c) => testClient(c)));
    const agents = [await server.agent('Awa Diallo'), await server.agent('Marc Petit')];
    for (let i = 0; i < deviceCount; i += 1) {
      const d = await TestDevice.create(new MovableClock(Date.parse('2026-11-26T09:00:00.000Z') + i * 7_919));
      devices.push(d);
      await d.enrol(proxy.url, agents[agentOfDevice[i]!]!.token);
      await d.sync();
    }
    const opts = { pushMaxItems: 3, pullLimit: 4, timeoutMs };

    for (const s of steps) {
      switch (s.kind) {
        case 'click':
          await devices[s.device]!.click(clientCodes[s.client]!, s.success ? 'success' : 'failure');
          break;
        case 'void': {
          const d = devices[s.device]!;
          const agentId = (await d.desk.getSettings({})).agent!.id;
          const own = await d.local.db
            .selectFrom('attempts')
            .leftJoin('voids', 'voids.attempt_id', 'attempts.id')
            .select('attempts.id')
            .where('attempts.agent_id', '=', agentId)
            .where('voids.attempt_id', 'is', null)
            .orderBy('attempts.id')
            .execute();
          if (own.length > 0) await d.desk.voidAttempt({ attemptId: own[s.pick % own.length]!.id, reason: 'Erreur de saisie' });
          break;
        }
        case 'push':
          await swallowNetwork(devices[s.device]!.engine(opts).then((e) => e.push()));
          break;
        case 'pull':
          await swallowNetwork(devices[s.device]!.engine(opts).then((e) => e.pull()));
          break;
        case 'sync':
          await swallowNetwork(devices[s.device]!.sync(opts));
          break;
        case 'restart':
          await devices[s.device]!.restart();
          break;
        case 'clock':
          devices[s.device]!.clock.advance(s.ms);
          break;
        case 'fault':
          proxy.inject(s.fault, { path: s.path, times: s.times });
          break;
      }
    }

    // The network heals; requests still delayed in the proxy land before the final rounds.
    proxy.heal();
    await new Promise((r) => setTimeout(r, timeoutMs + 200));
    // Healed: a generous time limit, so that a loaded machine does not pass for a fault.
    for (let round = 0; round < 2; round += 1) {
      for (const d of devices) await d.sync({ ...opts, timeoutMs: 15_000 });
    }

    const { changes } = await new ProtocolClient(server.url, agents[0]!.token).pullAll('0', 5000);
    const onServer = new Map<string, number>();
    for (const c of changes) {
      const key = c.kind === 'attempt' ? c.record.id : c.kind === 'void' ? `void:${c.record.attemptId}` : null;
      if (key) onServer.set(key, (onServer.get(key) ?? 0) + 1);
    }
    const snapshots = await Promise.all(devices.map((d) => d.snapshot()));
    const everyAttempt = new Set(snapshots.flatMap((s) => s.attempts.map((a) => a.id)));
    for (const id of everyAttempt) expect(onServer.get(id), `attempt ${id} on the server once`).toBe(1);
    for (const v of new Set(snapshots.flatMap((s) => s.voids.map((x) => x.attemptId)))) {
      expect(onServer.get(`void:${v}`), `void of ${v} on the server once`).toBe(1);
    }
    expect([...onServer.keys()].filter((k) => !k.startsWith('void:')).length).toBe(everyAttempt.size);
    const [first, ...others] = snapshots;
    for (const s of snapshots) {
      expect(s.outbox).toEqual({ pending: 0, dead: 0 });
      expect(s.parked).toBe(0);
    }
    for (const other of others) {
      expect(other.attempts).toEqual(first!.attempts);
      expect(other.voids).toEqual(first!.voids);
      expect(other.clients).toEqual(first!.clients);
    }
  } finally {
    for (const d of devices) await d.cleanup();
    await proxy.close();
    await server.stop();
  }
}

describe('sync property: any schedule converges exactly once', () => {
  const backends: Backend[] = pgReason ? ['sqlite'] : ['sqlite', 'postgres'];
  for (const backend of backends) {
    it(
      `on ${backend} (${runs[backend]} runs)`,
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => runSchedule(backend, steps)),
          { numRuns: runs[backend], ...(seed === undefined ? {} : { seed }), endOnFailure: true },
        );
      },
      30 * 60_000,
    );
  }
});

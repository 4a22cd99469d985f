// Sync throughput, end to end over HTTP on loopback against a server on PostgreSQL (its own
// process): 100,000 attempts pushed from one device, the same pulled into a fresh device, and 50
// devices pushing at once. JSON lines: {"name":"sync_push","records_per_s":…,"n":100000,…}.
//   node --import tsx test/bench/sync.ts [--n 100000] [--devices 50] [--concurrency 3]
// Also a section of `npm run bench` (test/bench/sections.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { AttemptRecord } from '../../contract/index.ts';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import { uuidv7 } from '../../db/ids.ts';
import { loadSettings } from '../../db/settings.ts';
import { insertAttemptRecords } from '../../db/attempts.ts';
import { writeTransaction } from '../../db/tx.ts';
import { SyncEngine } from '../../sync/engine.ts';
import { fetchTokenAgent, saveEnrolment } from '../../sync/enrol.ts';
import { createAgent, putClients } from '../../server/index.ts';
import { createPostgresDatabase, postgresUnavailableReason, testClient } from '../helpers/server.ts';
import { tempDir } from '../helpers/local-db.ts';
import type { BenchSection } from './sections.ts';

export interface SyncMeasurement {
  name: string;
  records_per_s: number;
  n: number;
  seconds: number;
  /** Per request (push) or per page (pull), in milliseconds. */
  p50_ms: number;
  p99_ms: number;
  devices?: number;
}

const root = resolve(import.meta.dirname, '../..');
const clientCount = 2000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! * 100) / 100;
}

async function startServerProcess(db: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/bench/sync-server-child.ts'), db], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolveUrl((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}`)));
  });
  return { url, child };
}

interface BenchDevice {
  local: LocalDatabase;
  dir: string;
  engine(): SyncEngine;
  close(): Promise<void>;
}

async function enrolledDevice(serverUrl: string, agentName: string, onRequest?: (ms: number) => void, pushConcurrency?: number): Promise<BenchDevice> {
  const dir = tempDir('desk-bench-sync-');
  const local = await openDatabase(join(dir, 'desk.db'));
  const issued = await createAgent(databaseUrl, agentName);
  const agent = await fetchTokenAgent(serverUrl, issued.token);
  await saveEnrolment(local.db, { serverUrl, sealedToken: issued.token, tokenStorage: 'plain', agent });
  // Several pushes are in flight at once: each is timed from its own start.
  const started = new Map<number, number>();
  return {
    local,
    dir,
    engine: () =>
      new SyncEngine({
        db: local.db,
        deviceId: local.deviceId,
        serverUrl,
        token: issued.token,
        timeoutMs: 120_000,
        ...(pushConcurrency === undefined ? {} : { pushConcurrency }),
        hooks: onRequest
          ? {
              beforePush: (batch) => void started.set(batch[0]!.seq, performance.now()),
              afterPushAnswer: (_answer, batch) => onRequest(performance.now() - started.get(batch[0]!.seq)!),
            }
          : {},
      }),
    close: async () => {
      await local.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** n clicks already recorded and queued, as after a day offline: written in bulk, not timed. */
async function queueAttempts(device: BenchDevice, n: number, codes: string[]): Promise<void> {
  const { agent } = await loadSettings(device.local.db);
  const start = Date.parse('2026-11-26T07:00:00.000Z');
  for (let done = 0; done < n; done += 5000) {
    const records: AttemptRecord[] = [];
    for (let i = done; i < Math.min(n, done + 5000); i += 1) {
      const at = start + i * 250;
      records.push({
        id: uuidv7({ msecs: at }),
        clientCode: codes[i % codes.length]!,
        agentId: agent!.id,
        agentName: agent!.name,
        occurredAt: new Date(at).toISOString(),
        utcOffsetMin: 60,
        status: i % 3 === 0 ? 'failure' : 'success',
        channel: 'phone',
        note: i % 10 === 0 ? 'Rappeler après 18 h' : null,
        deviceId: device.local.deviceId,
      });
    }
    await writeTransaction(device.local.db, async (trx) => {
      await insertAttemptRecords(trx, records);
      for (let j = 0; j < records.length; j += 500) {
        await trx
          .insertInto('outbox')
          .values(
            records.slice(j, j + 500).map((r) => ({ kind: 'attempt' as const, record_id: r.id, payload: JSON.stringify(r), created_at: r.occurredAt, state: 'pending' as const })),
          )
          .execute();
      }
    });
  }
}

let databaseUrl = '';

export async function runSyncBench(
  options: { n?: number; devices?: number; pushConcurrency?: number; log?: (line: string) => void } = {},
): Promise<SyncMeasurement[]> {
  const n = options.n ?? 100_000;
  const deviceCount = options.devices ?? 50;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const results: SyncMeasurement[] = [];
  const database = await createPostgresDatabase();
  databaseUrl = database.url;
  const cleanups: (() => Promise<unknown>)[] = [() => database.drop()];
  try {
    const server = await startServerProcess(database.url);
    cleanups.unshift(
      () =>
        new Promise<void>((done) => {
          server.child.once('exit', () => done());
          server.child.kill('SIGTERM');
        }),
    );
    const codes = Array.from({ length: clientCount }, (_, i) => `BENCH-${String(i).padStart(6, '0')}`);
    await putClients(database.url, codes.map((c) => testClient(c)));

    // One device pushes n attempts.
    const pushTimes: number[] = [];
    const sender = await enrolledDevice(server.url, 'Awa Diallo', (ms) => pushTimes.push(ms), options.pushConcurrency);
    cleanups.unshift(() => sender.close());
    await sender.engine().pull();
    await queueAttempts(sender, n, codes);
    log(`sync bench: ${n} attempts queued on one device`);
    let t = performance.now();
    const pushed = await sender.engine().push();
    let seconds = (performance.now() - t) / 1000;
    if (pushed.applied !== n) throw new Error(`push applied ${pushed.applied} of ${n}`);
    results.push({ name: 'sync_push', records_per_s: Math.round(n / seconds), n, seconds: round(seconds), p50_ms: percentile(pushTimes, 50), p99_ms: percentile(pushTimes, 99) });

    // A fresh device pulls everything: the clients, then the n attempts.
    const receiver = await enrolledDevice(server.url, 'Marc Petit');
    cleanups.unshift(() => receiver.close());
    const pageTimes: number[] = [];
    let pageStart = performance.now();
    const engine = new SyncEngine({
      db: receiver.local.db,
      deviceId: receiver.local.deviceId,
      serverUrl: server.url,
      token: (await receiver.local.db.selectFrom('meta').select('value').where('key', '=', 'sync_token').executeTakeFirstOrThrow()).value,
      timeoutMs: 120_000,
      hooks: {
        afterPullPage: () => {
          const now = performance.now();
          pageTimes.push(now - pageStart);
          pageStart = now;
        },
      },
    });
    t = performance.now();
    pageStart = t;
    const pulled = await engine.pull();
    seconds = (performance.now() - t) / 1000;
    if (pulled.attempts !== n) throw new Error(`pull brought ${pulled.attempts} of ${n}`);
    results.push({ name: 'sync_pull', records_per_s: Math.round(n / seconds), n, seconds: round(seconds), p50_ms: percentile(pageTimes, 50), p99_ms: percentile(pageTimes, 99) });
    log(`sync bench: pushed and pulled ${n}`);

    // Many devices at once: the server's share of the load.
    if (deviceCount > 0) {
      const perDevice = Math.ceil(n / deviceCount);
      const times: number[] = [];
      const fleet: BenchDevice[] = [];
      for (let i = 0; i < deviceCount; i += 1) {
        const d = await enrolledDevice(server.url, `Agent ${i}`, (ms) => times.push(ms));
        cleanups.unshift(() => d.close());
        fleet.push(d);
        // Each desk knows the clients already (they come with its first pull, timed above).
        await writeTransaction(d.local.db, async (trx) => {
          for (let j = 0; j < codes.length; j += 500) {
            await trx
              .insertInto('clients')
              .values(codes.slice(j, j + 500).map((code) => ({ code, name: `Client ${code}`, phones: '[]', extra: '{}', name_key: code.toLowerCase(), search_text: code.toLowerCase(), created_at: '2026-11-26T00:00:00.000Z', updated_at: '2026-11-26T00:00:00.000Z', last_status: null, last_attempt_at: null, last_attempt_id: null, last_agent_id: null, last_agent_name: null, email: null, city: null, address: null })))
              .execute();
          }
        });
        await queueAttempts(d, perDevice, codes);
      }
      t = performance.now();
      const reports = await Promise.all(fleet.map((d) => d.engine().push()));
      seconds = (performance.now() - t) / 1000;
      const total = reports.reduce((sum, r) => sum + r.applied, 0);
      if (total !== perDevice * deviceCount) throw new Error(`fleet push applied ${total} of ${perDevice * deviceCount}`);
      results.push({
        name: 'sync_push_concurrent',
        records_per_s: Math.round(total / seconds),
        n: total,
        seconds: round(seconds),
        p50_ms: percentile(times, 50),
        p99_ms: percentile(times, 99),
        devices: deviceCount,
      });
    }
    return results;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }
}

/** The section of `npm run bench`: skipped, with its reason, when PostgreSQL is not there. */
export const syncSection: BenchSection = {
  name: 'sync',
  outsideRss: true,
  description:
    'sync over loopback HTTP to a PostgreSQL server process: 100,000 attempts pushed by one device, pulled by a fresh one, then 50 devices pushing at once; p50/p99 per push request or pulled page, records_per_s in the JSON lines (target ≥ 30,000)',
  run: async (ctx) => {
    const reason = await postgresUnavailableReason();
    if (reason) {
      process.stderr.write(`sync section skipped: ${reason}\n`);
      return [];
    }
    return runSyncBench({ n: Math.round(100_000 * ctx.scale), devices: 50 });
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// Run directly; bundled into the bench, import.meta.url is the bundle's, hence the name test.
if (process.argv[1]?.endsWith('sync.ts')) {
  const { values } = parseArgs({ options: { n: { type: 'string' }, devices: { type: 'string' }, concurrency: { type: 'string' } } });
  const reason = await postgresUnavailableReason();
  if (reason) {
    console.error(`sync benchmark skipped: ${reason}`);
    process.exit(0);
  }
  const results = await runSyncBench({
    n: Number(values.n ?? 100_000),
    devices: Number(values.devices ?? 50),
    ...(values.concurrency === undefined ? {} : { pushConcurrency: Number(values.concurrency) }),
  });
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
}

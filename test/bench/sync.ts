// Sync throughput, end to end over HTTP on loopback against a server on PostgreSQL (its own
// process): 100,000 attempts pushed from one device, the same pulled into a fresh device, and 50
// devices pushing at once, each on its own clients (sync_push_concurrent), then all on the same
// clients (sync_push_concurrent_contended). JSON lines: {"name":"sync_push","records_per_s":…,"n":100000,…}.
// The same on a copy of the server's 10M base (test/bench/server-base.ts: 1,000,000 clients and
// 10,000,000 attempts already there), named sync_push_10m, sync_pull_10m, sync_push_concurrent_10m.
//   node --import tsx test/bench/sync.ts [--n 100000] [--devices 50] [--concurrency 3] [--base 10m]
// Also the sections `sync` and `sync_10m` of `npm run bench` (test/bench/sections.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { parseArgs } from 'node:util';
import type { AttemptRecord } from '../../contract/index.ts';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import { uuidv7 } from '../../db/ids.ts';
import { loadSettings } from '../../db/settings.ts';
import { setPullCursor } from '../../db/sync-meta.ts';
import { countOutbox, topDeadLetterReasons } from '../../db/outbox.ts';
import { insertAttemptRecords } from '../../db/attempts.ts';
import { writeTransaction } from '../../db/tx.ts';
import { SyncEngine, type PushReport } from '../../sync/engine.ts';
import { SyncFailure } from '../../sync/http.ts';
import { fetchTokenAgent, saveEnrolment } from '../../sync/enrol.ts';
import { createAgent, putClients } from '../../server/index.ts';
import { createPostgresDatabase, postgresAdminUrl, postgresUnavailableReason, testClient } from '../helpers/server.ts';
import { tempDir } from '../helpers/local-db.ts';
import type { BenchSection } from './sections.ts';
import { runPacedFleet } from './sync-fleet.ts';
import { copyServerBenchBase, ensureServerBenchBase, type ServerBenchBase } from './server-base.ts';

export interface SyncMeasurement {
  name: string;
  records_per_s: number;
  n: number;
  seconds: number;
  /** Per request (push) or per page (pull), in milliseconds. */
  p50_ms: number;
  p99_ms: number;
  devices?: number;
  /** _10m lines: the same measurement on an empty database in the same run, for the ±20% rule. */
  empty_records_per_s?: number;
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

/** CPU seconds (user + system) a process has used, from /proc (Linux); 0 when it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * The server's CPU: its process plus the PostgreSQL backends connected to its database (the
 * pool). PostgreSQL's background writers (WAL writer, checkpointer) are not counted.
 */
async function serverCpuSeconds(serverPid: number, databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    const name = new URL(databaseUrl).pathname.slice(1);
    const backends = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [name]);
    return cpuSecondsOf(serverPid) + backends.rows.reduce((sum, r) => sum + cpuSecondsOf(r.pid), 0);
  } finally {
    await client.end();
  }
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

/** When the queued attempts start: after the 10M base's last day. */
const queuedFrom = Date.parse('2026-11-26T07:00:00.000Z');

/** n clicks already recorded and queued, as after a day offline: written in bulk, not timed. */
/** from: the first attempt's time; later batches start after the earlier ones, as a desk's new work does. */
async function queueAttempts(device: BenchDevice, n: number, codes: string[], from = queuedFrom): Promise<void> {
  const { agent } = await loadSettings(device.local.db);
  const start = from;
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

/**
 * A desk that is up to date already: the clients it works on are in its database and its cursor is
 * at `head` (when given), as if it had pulled everything before. Not timed.
 */
async function knowClients(device: BenchDevice, codes: string[], head?: string): Promise<void> {
  await writeTransaction(device.local.db, async (trx) => {
    for (let j = 0; j < codes.length; j += 500) {
      await trx
        .insertInto('clients')
        .values(codes.slice(j, j + 500).map((code) => ({ code, name: `Client ${code}`, phones: '[]', extra: '{}', name_key: code.toLowerCase(), search_text: code.toLowerCase(), created_at: '2026-11-26T00:00:00.000Z', updated_at: '2026-11-26T00:00:00.000Z', last_status: null, last_attempt_at: null, last_attempt_id: null, last_agent_id: null, last_agent_name: null, email: null, city: null, address: null })))
        .execute();
    }
    if (head !== undefined) await setPullCursor(trx, head);
  });
}

let databaseUrl = '';

/**
 * Pushes the whole outbox as the sync worker would: a 503 (the server says it is overloaded) is
 * not a failure of the run; the device waits as told (or 250 ms) and goes on with what is left.
 */
async function pushUntilEmpty(device: BenchDevice, unavailable: { count: number; rounds: number }): Promise<PushReport> {
  const total: PushReport = { requests: 0, applied: 0, duplicate: 0, rejected: 0 };
  for (let round = 0; round < 50; round += 1) {
    try {
      const engine = device.engine();
      // As a sync run does: the greeting says whose token it is (issue 9) and what the server takes.
      const report = await engine.push((await engine.greet()).features);
      for (const key of ['requests', 'applied', 'duplicate', 'rejected'] as const) total[key] += report[key];
      // A push run ends early on a failure of one of its requests; the worker's next run sends the rest.
      if ((await countOutbox(device.local.db)).pending === 0) return total;
      unavailable.rounds += 1;
    } catch (error) {
      if (!(error instanceof SyncFailure) || error.status !== 503) throw error;
      unavailable.count += 1;
      await new Promise((resume) => setTimeout(resume, error.retryAfterMs ?? 250));
    }
  }
  throw new Error('the outbox is still not empty after 50 push runs');
}

/** Bytes of WAL PostgreSQL has written so far (the whole cluster: other databases' writes count too). */
async function walBytes(): Promise<bigint> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return BigInt((await client.query<{ at: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS at`)).rows[0]!.at.split('.')[0]!);
  } finally {
    await client.end();
  }
}

const walPerAttempt = (from: bigint, to: bigint, n: number) => `${(Number(to - from) / n / 1024).toFixed(1)} KB of WAL per attempt`;

async function fleetAttemptsOnServer(url: string, deviceIds: string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Queued attempts are UUIDv7 from queuedFrom on: a range of the primary key, not a scan of 10M rows.
    const hex = queuedFrom.toString(16).padStart(12, '0');
    const sql = `SELECT count(*) AS n FROM attempts WHERE id >= $1 AND device_id = ANY($2)`;
    return Number((await client.query<{ n: string }>(sql, [`${hex.slice(0, 8)}-${hex.slice(8)}`, deviceIds])).rows[0]!.n);
  } finally {
    await client.end();
  }
}

async function headOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ value: string }>(`SELECT value::text AS value FROM counters WHERE name = 'changes'`)).rows[0]!.value;
  } finally {
    await client.end();
  }
}

const load = () => `load average ${loadavg()[0]!.toFixed(1)}`;

/** The 10M base's copy the run writes to, and what a desk needs to know of it. */
interface PreparedBase {
  base: ServerBenchBase;
  head: string;
  codes: string[];
}

/** clientCount codes spread over the whole base, so that pushed attempts land all over its indexes. */
function baseCodes(base: ServerBenchBase): string[] {
  const step = Math.floor(base.shape.clients / clientCount);
  return Array.from({ length: clientCount }, (_, i) => `CLI-${String(1 + i * step).padStart(7, '0')}`);
}

export interface SyncBenchOptions {
  n?: number;
  devices?: number;
  pushConcurrency?: number;
  log?: (line: string) => void;
  /**
   * Run on a private copy of this 10M base instead of an empty database: the lines are named
   * …_10m, the desks start up to date (clients known, cursor at the base's head) instead of
   * pulling 11 million changes first, and the pull measured is the n new attempts.
   */
  base?: ServerBenchBase;
}

export async function runSyncBench(options: SyncBenchOptions = {}): Promise<SyncMeasurement[]> {
  const n = options.n ?? 100_000;
  const deviceCount = options.devices ?? 50;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const results: SyncMeasurement[] = [];
  const suffix = options.base ? `_${options.base.name.split('_')[2]}` : '';
  let base: PreparedBase | undefined;
  let database: { url: string; drop(): Promise<void> };
  if (options.base) {
    const copy = await copyServerBenchBase(options.base);
    log(`sync bench: copied ${options.base.name} in ${copy.seconds.toFixed(1)} s`);
    database = copy;
    base = { base: options.base, head: options.base.head, codes: baseCodes(options.base) };
  } else database = await createPostgresDatabase();
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
    const codes = base ? base.codes : Array.from({ length: clientCount }, (_, i) => `BENCH-${String(i).padStart(6, '0')}`);
    if (!base) await putClients(database.url, codes.map((c) => testClient(c)));

    // One device pushes n attempts.
    const pushTimes: number[] = [];
    const sender = await enrolledDevice(server.url, 'Awa Diallo', (ms) => pushTimes.push(ms), options.pushConcurrency);
    cleanups.unshift(() => sender.close());
    if (base) await knowClients(sender, codes, base.head);
    else await sender.engine().pull();
    await queueAttempts(sender, n, codes);
    log(`sync bench: ${n} attempts queued on one device`);
    let cpu = await serverCpuSeconds(server.child.pid!, database.url);
    let wal = await walBytes();
    // The greeting first, untimed (a sync run's first request): without it the engine does not know
    // whose token it holds, and every record would wait for a sign-in.
    const pushing = sender.engine();
    const features = (await pushing.greet()).features;
    let t = performance.now();
    const pushed = await pushing.push(features);
    let seconds = (performance.now() - t) / 1000;
    log(`sync bench${suffix}: push used ${((await serverCpuSeconds(server.child.pid!, database.url)) - cpu).toFixed(1)} CPU s on the server side (process + PostgreSQL backends) in ${seconds.toFixed(1)} s, ${walPerAttempt(wal, await walBytes(), n)}, ${load()}`);
    if (pushed.applied !== n) throw new Error(`push applied ${pushed.applied} of ${n}: ${JSON.stringify(pushed)}`);
    results.push({ name: `sync_push${suffix}`, records_per_s: Math.round(n / seconds), n, seconds: round(seconds), p50_ms: percentile(pushTimes, 50), p99_ms: percentile(pushTimes, 99) });

    // A fresh device pulls everything: the clients, then the n attempts. On the base, a desk that
    // was up to date pulls the n attempts pushed since.
    const receiver = await enrolledDevice(server.url, 'Marc Petit');
    cleanups.unshift(() => receiver.close());
    if (base) await knowClients(receiver, codes, base.head);
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
    cpu = await serverCpuSeconds(server.child.pid!, database.url);
    t = performance.now();
    pageStart = t;
    const pulled = await engine.pull();
    seconds = (performance.now() - t) / 1000;
    log(`sync bench${suffix}: pull used ${((await serverCpuSeconds(server.child.pid!, database.url)) - cpu).toFixed(1)} CPU s on the server side in ${seconds.toFixed(1)} s, ${load()}`);
    if (pulled.attempts !== n) throw new Error(`pull brought ${pulled.attempts} of ${n}`);
    results.push({ name: `sync_pull${suffix}`, records_per_s: Math.round(n / seconds), n, seconds: round(seconds), p50_ms: percentile(pageTimes, 50), p99_ms: percentile(pageTimes, 99) });
    log(`sync bench: pushed and pulled ${n}`);

    // Many devices at once: the server's share of the load. As on a real floor, each agent works
    // its own clients (the 2,000 split 40 per device); then the worst case, every device pushing
    // attempts of all 2,000 clients at the same times, so that every push wants the same status rows.
    if (deviceCount > 0) {
      const perDevice = Math.ceil(n / deviceCount);
      for (const variant of ['own', 'contended'] as const) {
        const times: number[] = [];
        const fleet: BenchDevice[] = [];
        for (let i = 0; i < deviceCount; i += 1) {
          const d = await enrolledDevice(server.url, `Agent ${variant} ${i}`, (ms) => times.push(ms));
          cleanups.unshift(() => d.close());
          fleet.push(d);
          // Each desk knows the clients already (they come with its first pull, timed above).
          await knowClients(d, codes, base?.head);
          // After everything pushed so far (the one-device push above, the 'own' run): new work, not
          // late arrivals. In the contended run the devices' times interleave (1 ms apart), so a
          // push often brings attempts older than another device's, as it would on a shared portfolio.
          const from = queuedFrom + (n + (variant === 'own' ? 0 : perDevice)) * 250 + i;
          await queueAttempts(d, perDevice, variant === 'own' ? codes.filter((_, j) => j % deviceCount === i) : codes, from);
        }
        const name = `sync_push_concurrent${variant === 'own' ? '' : '_contended'}${suffix}`;
        cpu = await serverCpuSeconds(server.child.pid!, database.url);
        wal = await walBytes();
        t = performance.now();
        const unavailable = { count: 0, rounds: 0 };
        const reports = await Promise.all(fleet.map((d) => pushUntilEmpty(d, unavailable)));
        seconds = (performance.now() - t) / 1000;
        log(`sync bench ${name}: ${deviceCount} devices' push used ${((await serverCpuSeconds(server.child.pid!, database.url)) - cpu).toFixed(1)} CPU s on the server side in ${seconds.toFixed(1)} s, ${walPerAttempt(wal, await walBytes(), perDevice * deviceCount)}, ${load()}`);
        if (unavailable.count) log(`sync bench ${name}: ${unavailable.count} push requests answered 503 (overloaded: pool wait over 5 s), sent again as the worker does`);
        // A push run cut short by a 503 loses its report (what it applied before is not in `reports`):
        // the server's own count of the fleet's attempts is the one that says "exactly once".
        const total = await fleetAttemptsOnServer(database.url, fleet.map((d) => d.local.deviceId));
        const dead = (await Promise.all(fleet.map((d) => countOutbox(d.local.db)))).reduce((sum, c) => sum + c.dead, 0);
        if (total !== perDevice * deviceCount || dead > 0) {
          const reasons = (await Promise.all(fleet.map((d) => topDeadLetterReasons(d.local.db, 3)))).flat();
          throw new Error(`fleet push stored ${total} of ${perDevice * deviceCount} attempts, ${dead} dead letters: ${JSON.stringify(reasons.slice(0, 5))}`);
        }
        const duplicates = reports.reduce((sum, r) => sum + r.duplicate, 0);
        if (unavailable.rounds || duplicates) log(`sync bench ${name}: ${unavailable.rounds} push runs ended with entries left (sent by the next run), ${duplicates} duplicates`);
        results.push({
          name,
          records_per_s: Math.round(total / seconds),
          n: total,
          seconds: round(seconds),
          p50_ms: percentile(times, 50),
          p99_ms: percentile(times, 99),
          devices: deviceCount,
        });
      }
      // The same number of devices at a steady pace: what each request costs when the server is
      // not simply working through a queue of 150 requests.
      results.push(...(await runPacedFleet({ serverUrl: server.url, databaseUrl: database.url, codes, cursor: await headOf(database.url), suffix, devices: deviceCount, log })));
      log(`sync bench${suffix}: paced fleet done, ${load()}`);
    }
    return results;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }
}

/** The last empty-database run of this process: the sync_10m section compares with it. */
let lastEmptyRun: SyncMeasurement[] | undefined;

/** The section of `npm run bench`: skipped, with its reason, when PostgreSQL is not there. */
export const syncSection: BenchSection = {
  name: 'sync',
  outsideRss: true,
  ownDatabase: true,
  description:
    'sync over loopback HTTP to a PostgreSQL server process: 100,000 attempts pushed by one device, pulled by a fresh one, then 50 devices pushing at once (own clients, then all on the same clients: _contended); p50/p99 per push request or pulled page, records_per_s in the JSON lines (target ≥ 30,000)',
  run: async (ctx) => {
    const reason = await postgresUnavailableReason();
    if (reason) {
      process.stderr.write(`sync section skipped: ${reason}\n`);
      return [];
    }
    lastEmptyRun = await runSyncBench({ n: Math.round(100_000 * ctx.scale), devices: 50 });
    return lastEmptyRun;
  },
};

/** Issue 7's targets for the 10M lines. */
export const sync10mTargets = { minRecordsPerS: 30_000, maxSlowdown: 0.2, maxP99Ms: 500 };

/**
 * Compares each _10m line with its empty-database twin and the absolute targets; one line of text
 * per measurement, 'ok' or 'MISSED' with the reason.
 */
export function judge10m(lines: SyncMeasurement[]): string[] {
  return lines.map((m) => {
    const misses: string[] = [];
    const paced = m.name.startsWith('sync_fleet_');
    // Paced devices offer a fixed load: their throughput is what they asked for, not a capacity.
    if (!paced && m.records_per_s < sync10mTargets.minRecordsPerS) misses.push(`< ${sync10mTargets.minRecordsPerS}/s`);
    if (m.empty_records_per_s !== undefined && !paced && m.records_per_s < m.empty_records_per_s * (1 - sync10mTargets.maxSlowdown)) {
      misses.push(`more than ${sync10mTargets.maxSlowdown * 100}% below the empty database`);
    }
    // In the saturating run every device sends its whole backlog at once: p99 is the queue's length.
    if (!m.name.startsWith('sync_push_concurrent') && m.p99_ms > sync10mTargets.maxP99Ms) misses.push(`p99 > ${sync10mTargets.maxP99Ms} ms`);
    const ratio = m.empty_records_per_s ? ` (${Math.round((m.records_per_s / m.empty_records_per_s) * 100)}% of empty: ${m.empty_records_per_s}/s)` : '';
    return `${m.name}: ${m.records_per_s}/s${ratio}, p50 ${m.p50_ms} / p99 ${m.p99_ms} ms — ${misses.length ? `MISSED: ${misses.join(', ')}` : 'ok'}`;
  });
}

/** The same three measurements on a copy of the 10M base, each with the empty figure of this run. */
export async function run10mBench(options: { n?: number; devices?: number; log?: (line: string) => void } = {}): Promise<SyncMeasurement[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = await ensureServerBenchBase({ log });
  if (base.builtSeconds !== null) log(`sync bench: the 10M base took ${base.builtSeconds.toFixed(0)} s to build or bring up to date (cached for later runs)`);
  const shape = { n: options.n ?? 100_000, devices: options.devices ?? 50, log };
  const empty = lastEmptyRun?.[0]?.n === shape.n ? lastEmptyRun : await runSyncBench(shape);
  const big = await runSyncBench({ ...shape, base });
  const twin = new Map(empty.map((m) => [m.name, m.records_per_s]));
  const lines = big.map((m) => ({ ...m, empty_records_per_s: twin.get(m.name.replace(/_10m$/, '')) }));
  for (const line of judge10m(empty)) log(`sync bench (empty database): ${line.replace(/ — .*$/, '')}`);
  for (const line of judge10m(lines)) log(`sync bench: ${line}`);
  return lines;
}

/**
 * `npm run bench -- --only=sync_10m`: builds the 10M base the first time (7 minutes here, see
 * docs/PERFORMANCE.md), then copies it for each run.
 */
export const sync10mSection: BenchSection = {
  name: 'sync_10m',
  outsideRss: true,
  ownDatabase: true,
  description:
    'the sync section on a copy of a PostgreSQL base already holding 1,000,000 clients and 10,000,000 attempts (built once, cached): push and pull within 20% of the empty database (empty_records_per_s), ≥ 30,000/s, p99 < 500 ms with 50 devices',
  run: async (ctx) => {
    const reason = await postgresUnavailableReason();
    if (reason) {
      process.stderr.write(`sync_10m section skipped: ${reason}\n`);
      return [];
    }
    return run10mBench({ n: Math.round(100_000 * ctx.scale), devices: 50 });
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// Run directly; bundled into the bench, import.meta.url is the bundle's, hence the name test.
if (process.argv[1]?.endsWith('sync.ts')) {
  const { values } = parseArgs({ options: { n: { type: 'string' }, devices: { type: 'string' }, concurrency: { type: 'string' }, base: { type: 'string' } } });
  const reason = await postgresUnavailableReason();
  if (reason) {
    console.error(`sync benchmark skipped: ${reason}`);
    process.exit(0);
  }
  if (values.base !== undefined && values.base !== '10m') {
    console.error(`--base: only 10m is known (got ${values.base})`);
    process.exit(2);
  }
  const shape = { n: Number(values.n ?? 100_000), devices: Number(values.devices ?? 50) };
  const results =
    values.base === '10m'
      ? await run10mBench(shape)
      : await runSyncBench({ ...shape, ...(values.concurrency === undefined ? {} : { pushConcurrency: Number(values.concurrency) }) });
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
}

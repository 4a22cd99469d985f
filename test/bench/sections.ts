// The benchmark's measurements, in the order they run. Adding one is adding an entry to
// `sections`: it receives the context (a private copy of the 100k/1M database opened as the app
// opens it, the desk handlers main uses, a seeded random source) and returns its results.

import type BetterSqlite3 from 'better-sqlite3';
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { dispatch, type DeskHandlers, type OperationName } from '../../contract/index.ts';
import type { LocalDatabase } from '../../db/connection.ts';
import { import1mSection, importSqlFloorSection, recordAttemptFullPathSection, sqliteCommitSection } from './desk-path.ts';
import { sync10mSection, syncSection } from './sync.ts';
import { consoleSection } from './console.ts';
import { signInSection } from './sign-in.ts';
import { percentile, type Measurement } from './measure.ts';
import type { Kysely } from 'kysely';
import { defaultReasons } from '../../contract/index.ts';
import { nextClient } from '../../db/queue.ts';
import { clickStatements } from '../../db/attempts.ts';
import { uuidv7 } from '../../db/ids.ts';
import { loadReasons, saveSiteReasons } from '../../db/reasons.ts';
import type { Database } from '../../db/schema.ts';

export type { Measurement } from './measure.ts';
export { measure, percentile } from './measure.ts';

export interface BenchContext {
  local: LocalDatabase;
  desk: DeskHandlers;
  /** The database file of this run (a copy: sections may write to it). */
  file: string;
  /** Deterministic random numbers in [0, 1). */
  random: () => number;
  /** An existing client's code, picked at random (by rowid: no list of 100,000 codes in memory). */
  randomClientCode(): string;
  /** Scales iteration counts (--quick uses 0.2). */
  scale: number;
  /** Times `n` calls of `run` after `warmup` untimed ones. */
  measure(name: string, n: number, run: (i: number) => Promise<unknown>, warmup?: number): Promise<Measurement>;
  /** One operation through dispatch, as main's IPC calls it; throws if it is refused. */
  call(operation: OperationName, input: unknown): Promise<unknown>;
}

export interface BenchSection {
  name: string;
  /** What a reader of the table should know; shown in the human output. */
  description: string;
  /** Upper bound for p99 in milliseconds, when the project has one. */
  targetP99Ms?: number;
  /**
   * True when the section's memory is not the desk's (the sync section holds simulated devices and
   * 100,000 records in the bench process): rss_mb is then read before it runs.
   */
  outsideRss?: boolean;
  /** True when the section ignores the desk's database (it brings its own): run alone, it is not built. */
  ownDatabase?: boolean;
  run(ctx: BenchContext): Promise<Measurement[]>;
}

export async function callThroughDispatch(desk: DeskHandlers, operation: OperationName, input: unknown): Promise<unknown> {
  const result = await dispatch(desk, operation, input);
  if (!result.ok) throw new Error(`${operation} refused: ${result.error.code} ${result.error.message.en}`);
  return result.value;
}

function pick<T>(ctx: BenchContext, list: readonly T[]): T {
  return list[Math.floor(ctx.random() * list.length)] as T;
}

/** Fragments an agent types: part of a last or first name, as typed (no accents, any case). */
const nameFragments = ['martin', 'gaelle', 'Moreau', 'diallo', 'noemie', 'fournier', 'KONE', 'sebastien', 'lefevre', 'dubois', 'aicha', 'garcia', 'oceane', 'bernard', 'rousseau', 'mull', 'yannick', 'martin gaelle', 'diallo awa'];

/** Fragments found in a tenth of the clients or more: 'SARL' prefixes 12% of the demo names. */
const frequentFragments = ['sarl', 'fils', 'mar', 'paris', 'exemple'];

function phonesOf(sqlite: BetterSqlite3.Database, count: number, random: () => number): string[] {
  const rows = sqlite.prepare(`SELECT phones FROM clients WHERE rowid = ?`).pluck();
  const total = sqlite.prepare(`SELECT max(rowid) FROM clients`).pluck().get() as number;
  const phones: string[] = [];
  while (phones.length < count) {
    const json = rows.get(1 + Math.floor(random() * total)) as string | undefined;
    const phone = json ? (JSON.parse(json) as string[])[0] : undefined;
    if (phone) phones.push(phone);
  }
  return phones;
}

/** A phone fragment as an agent would type it from a caller id or a note: 6 to 8 digits, spaced or not. */
function phoneFragment(phone: string, random: () => number): string {
  const digits = phone.replace(/\D/g, '');
  const national = digits.startsWith('33') ? `0${digits.slice(2)}` : digits;
  const length = 6 + Math.floor(random() * 3);
  const fragment = national.slice(0, length);
  return random() < 0.5 ? fragment : fragment.replace(/(\d\d)(?=\d)/g, '$1 ');
}

/** What one 4 KiB write + fdatasync costs on this disk: the floor under any durable click. */
function diskFloor(file: string): (i: number) => Promise<void> {
  const fd = openSync(file, 'w');
  const page = Buffer.alloc(4096, 7);
  return async (i) => {
    if (i === Number.MAX_SAFE_INTEGER) closeSync(fd);
    else {
      writeSync(fd, page, 0, page.length, 0);
      fdatasyncSync(fd);
    }
  };
}

export const sections: BenchSection[] = [
  {
    name: 'disk_fsync',
    description: 'reference, not the app: one 4 KiB write + fdatasync next to the database; record_attempt cannot go below it',
    run: async (ctx) => {
      const probe = `${ctx.file}.fsync-probe`;
      const write = diskFloor(probe);
      try {
        return [await ctx.measure('disk_fsync', Math.round(1000 * ctx.scale), write)];
      } finally {
        await write(Number.MAX_SAFE_INTEGER);
        rmSync(probe, { force: true });
      }
    },
  },
  sqliteCommitSection,
  recordAttemptFullPathSection,
  {
    name: 'record_attempt_direct',
    description: 'the same click called in-process through dispatch (no main, no worker hop): the domain’s own cost',
    run: async (ctx) => [
      await ctx.measure('record_attempt_direct', Math.round(2000 * ctx.scale), () =>
        ctx.call('recordAttempt', { clientCode: ctx.randomClientCode(), status: ctx.random() < 0.5 ? 'success' : 'failure', channel: 'phone' }),
      ),
    ],
  },
  {
    name: 'record_attempt_sql',
    description:
      'the click’s own statements (db/attempts.ts clickStatements) run raw with better-sqlite3, no domain code, no hop: the floor of this transaction’s shape (~16 WAL pages a click, against 1–2 for sqlite_commit)',
    run: async (ctx) => {
      const statements = clickStatements(ctx.local.sqlite);
      let n = 0;
      return [
        await ctx.measure('record_attempt_sql', Math.round(2000 * ctx.scale), async () => {
          const at = new Date(Date.UTC(2026, 10, 26, 9) + n++ * 1000).toISOString();
          const record = {
            id: uuidv7(),
            clientCode: ctx.randomClientCode(),
            agentId: 'agent-bench-sql',
            agentName: 'Agent Bench',
            occurredAt: at,
            utcOffsetMin: 60,
            status: ctx.random() < 0.5 ? 'success' : 'failure',
            channel: 'phone',
            note: null,
            deviceId: 'device-bench-sql',
          };
          statements.begin.run();
          statements.meta.all();
          statements.updateClient.get(record);
          statements.insertAttempt.run(record);
          statements.insertOutbox.run('attempt', record.id, JSON.stringify(record), record.occurredAt);
          statements.openCallbacks.all(record.clientCode);
          statements.commit.run();
        }),
      ];
    },
  },
  {
    name: 'search_name',
    description: 'name fragment typed in the search box, first page of 50 with the capped count',
    targetP99Ms: 5,
    run: async (ctx) => [
      await ctx.measure('search_name', Math.round(1000 * ctx.scale), () => ctx.call('searchClients', { query: pick(ctx, nameFragments), limit: 50 })),
    ],
  },
  {
    name: 'next_client',
    description: '"Client suivant": due call-backs, then never attempted, then failures whose retry has come (passing over the open client); _none: nobody due; _rules_change: a new site list, once (no target)',
    targetP99Ms: 10,
    run: async (ctx) => {
      const first = await ctx.measure('next_client', Math.round(1000 * ctx.scale), () => ctx.call('nextClient', { exclude: [ctx.randomClientCode()] }));
      // The base keeps a few clients never attempted, which answer at once: attempt them, so the
      // queue walks the failures (most of the base's have used up their 5 attempts).
      const never = await ctx.local.db.selectFrom('clients').select('code').where('last_status', 'is', null).execute();
      for (const { code } of never) await ctx.call('recordAttempt', { clientCode: code, status: 'failure' });
      const retry = await ctx.measure('next_client_retry', Math.round(300 * ctx.scale), () => ctx.call('nextClient', { exclude: [ctx.randomClientCode()] }));
      // Nobody due: the queue asked at an instant before every attempt of the base (no call-back,
      // no failure has come due yet). The case the stored retry times (migration 0012) are for.
      const db = ctx.local.db as unknown as Kysely<Database>;
      const earliest = await db.selectFrom('attempts').select((eb) => eb.fn.min('occurred_at').as('at')).executeTakeFirstOrThrow();
      const before = new Date(Date.parse(String(earliest.at)) - 60_000);
      const reasons = await loadReasons(db);
      const none = await ctx.measure('next_client_none', Math.round(1000 * ctx.scale), async () => {
        if ((await nextClient(db, { agentIds: [], now: before, reasons, exclude: [ctx.randomClientCode()] })) !== null) throw new Error('next_client_none: someone was due');
      });
      // What a new site list costs once (every failed client's retry time recomputed); no target.
      let flip = 0;
      const rulesChange = await ctx.measure(
        'next_client_rules_change',
        3,
        () => saveSiteReasons(db, flip++ % 2 === 0 ? defaultReasons.map((r) => (r.retry.kind === 'again' ? { ...r, retry: { ...r.retry, afterMinutes: r.retry.afterMinutes + 15 } } : r)) : null),
        0,
      );
      // Clicks while a new list is being applied: they get in between its chunks (db/queue.ts), and
      // used to wait for the whole recompute (one transaction, next_client_rules_change).
      const clickTimes: number[] = [];
      const changing = saveSiteReasons(db, defaultReasons.map((r) => (r.retry.kind === 'again' ? { ...r, retry: { ...r.retry, afterMinutes: r.retry.afterMinutes + 30 } } : r)));
      let finished = false;
      void changing.finally(() => (finished = true)).catch(() => undefined);
      const started = performance.now();
      // Bounded all the same: a recompute that never ends must fail the bench, not fill the disk.
      while (!finished && performance.now() - started < 60_000) {
        const at = performance.now();
        await ctx.call('recordAttempt', { clientCode: ctx.randomClientCode(), status: 'failure', channel: 'phone' });
        clickTimes.push(performance.now() - at);
        // Each click its own turn of the event loop, as each comes in its own message to the database
        // worker: a loop of promises alone would never let the recompute's next chunk in.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await changing;
      if (!finished) throw new Error('next_client_rules_click: the new list was still being applied after 60 s');
      clickTimes.sort((a, b) => a - b);
      const ms = (value: number) => Math.round(value * 1000) / 1000;
      const during: Measurement & { max_ms: number; recompute_ms: number } = {
        name: 'next_client_rules_click',
        p50_ms: ms(percentile(clickTimes, 50)),
        p99_ms: ms(percentile(clickTimes, 99)),
        max_ms: ms(clickTimes.at(-1) ?? Number.NaN),
        n: clickTimes.length,
        recompute_ms: Math.round(performance.now() - started),
      };
      return [first, retry, none, rulesChange, during];
    },
  },
  {
    name: 'search_frequent',
    description: 'fragment matching 5-60% of the clients (sarl, fils, mar, paris, exemple): cost grows with the matches; no target',
    run: async (ctx) => [
      await ctx.measure('search_frequent', Math.round(200 * ctx.scale), () => ctx.call('searchClients', { query: pick(ctx, frequentFragments), limit: 50 })),
    ],
  },
  {
    name: 'search_code',
    description: 'a client code, whole or its last digits',
    targetP99Ms: 5,
    run: async (ctx) => [
      await ctx.measure('search_code', Math.round(1000 * ctx.scale), () => {
        const code = ctx.randomClientCode();
        return ctx.call('searchClients', { query: ctx.random() < 0.5 ? code : code.slice(-6), limit: 50 });
      }),
    ],
  },
  {
    name: 'search_phone',
    description: 'phone fragment of 6 to 8 digits, spaced or not, national form of stored +33 numbers',
    targetP99Ms: 5,
    run: async (ctx) => {
      const phones = phonesOf(ctx.local.sqlite, 200, ctx.random);
      return [
        await ctx.measure('search_phone', Math.round(1000 * ctx.scale), () =>
          ctx.call('searchClients', { query: phoneFragment(pick(ctx, phones), ctx.random), limit: 50 }),
        ),
      ];
    },
  },
  {
    name: 'list_failure',
    description: 'clients whose last attempt failed, first page of 50 with the capped count',
    targetP99Ms: 5,
    run: async (ctx) => [
      await ctx.measure('list_failure', Math.round(1000 * ctx.scale), () => ctx.call('searchClients', { status: 'failure', limit: 50 })),
    ],
  },
  {
    name: 'history',
    description: "first page (50) of one client's history, voids joined",
    targetP99Ms: 2,
    run: async (ctx) => [
      await ctx.measure('history', Math.round(1000 * ctx.scale), () => ctx.call('listHistory', { clientCode: ctx.randomClientCode(), limit: 50 })),
    ],
  },
  // Engineer D2's: sync throughput (its own server and devices; ignores the shared database).
  syncSection,
  // The same on the server's 10M base (built once, then copied per run).
  sync10mSection,
  // Issue 9: an agent signing in on an enrolled desk, online and offline (its own server and desk).
  signInSection,
  // The supervision console on PostgreSQL (its own 1M-client, 10M-attempt server database).
  consoleSection,
  // Its floor, on a copy of the base, then (last: it adds 1,000,000 clients to this run's copy of the base) the import.
  importSqlFloorSection,
  import1mSection,
];

/** Targets that are not a section's p99. */
export const rssTargetMb = 150;

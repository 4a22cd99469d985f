// The click as the app makes it, and the floor it competes with (issue 10):
//  - sqlite_commit: one one-row INSERT + COMMIT in WAL, synchronous=FULL, on the same disk, same run;
//  - record_attempt: main's IPC handler (sender check) → the database worker thread → dispatch()
//    → commit → the answer back in main; Electron's own renderer → main hop is not in it (no
//    Electron binary here; it is one structured-clone message each way, like the worker's);
//  - import_1m: a 1,000,000-line Excel (France) CSV streamed from disk into the 100,000-client base
//    by the database worker, while main clicks every 20 ms and watches its own event loop.
// JSON lines like the other sections; import_1m's is {"name":"import_1m","lines_per_s",…}.

import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { IpcMainInvokeEvent } from 'electron';
import type { ImportProgress, Result } from '../../contract/index.ts';
import { startDatabase, type DatabaseClient } from '../../db/database-client.ts';
import { demoClient } from '../../db/demo.ts';
import type { AppPage } from '../../main/app-page.ts';
import { registerDeskIpc } from '../../main/ipc.ts';
import type { BenchContext, BenchSection, Measurement } from './sections.ts';

/** The worker as the bench runs it: bundled next to run.bundle.mjs by scripts/bench.mjs, or from source. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../db/database-worker.ts', here) : new URL('./database-worker.bundle.mjs', here);
}

interface MainSide {
  database: DatabaseClient;
  /** What the preload's ipcRenderer.invoke reaches: main's registered handler, with its sender check. */
  invoke(operation: string, input: unknown): Promise<Result<unknown>>;
  progress: ImportProgress[];
  stop(): Promise<void>;
}

/** Main's half of the app around a database worker on the bench's base: registerDeskIpc as app.ts calls it. */
export async function startMainSide(file: string): Promise<MainSide> {
  const progress: ImportProgress[] = [];
  const database = await startDatabase({
    file,
    emit: (event, payload) => {
      if (event === 'importProgress') progress.push(payload as ImportProgress);
    },
    backupIntervalMs: 0,
    backupAtQuit: false,
    workerUrl: workerUrl(),
  });
  const handlers = new Map<string, (event: unknown, input: unknown) => Promise<Result<unknown>>>();
  const ipcMain = {
    handle: (channel: string, handler: (event: unknown, input: unknown) => Promise<Result<unknown>>) => void handlers.set(channel, handler),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  const contents = { isDestroyed: () => false };
  const page = { url: 'file:///app/index.html', isAppUrl: (url: string) => url === 'file:///app/index.html' } as unknown as AppPage;
  const ipc = registerDeskIpc(ipcMain as never, database.call, { page, appContents: () => contents as never });
  const event = { sender: contents, senderFrame: { url: page.url, parent: null } } as unknown as IpcMainInvokeEvent;
  return {
    database,
    progress,
    invoke: (operation, input) => handlers.get(`desk:${operation}`)!(event, input),
    stop: async () => {
      ipc.dispose();
      await database.stop();
    },
  };
}

/** A click on a client picked at random, success or failure as a coin falls. */
export async function click(main: MainSide, clientCode: string, random: () => number): Promise<void> {
  const result = await main.invoke('recordAttempt', { clientCode, status: random() < 0.5 ? 'success' : 'failure', channel: 'phone' });
  if (!result.ok) throw new Error(`recordAttempt refused: ${result.error.code} ${result.error.message.en}`);
}

export const sqliteCommitSection: BenchSection = {
  name: 'sqlite_commit',
  description: 'reference, not the app: one one-row INSERT + COMMIT in WAL, synchronous=FULL, next to the database (the floor of a click)',
  run: async (ctx) => {
    const file = `${ctx.file}.commit-probe.db`;
    const probe = new BetterSqlite3(file);
    try {
      probe.pragma('journal_mode = WAL');
      probe.pragma('synchronous = FULL');
      // As the app's connection: no checkpoint inside a commit.
      probe.pragma('wal_autocheckpoint = 0');
      probe.exec('CREATE TABLE probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL)');
      const begin = probe.prepare('BEGIN IMMEDIATE');
      const insert = probe.prepare('INSERT INTO probe (at) VALUES (?)');
      const commit = probe.prepare('COMMIT');
      return [
        await ctx.measure('sqlite_commit', Math.round(2000 * ctx.scale), async () => {
          begin.run();
          insert.run('2026-11-26T09:00:00.000Z');
          commit.run();
        }),
      ];
    } finally {
      probe.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    }
  },
};

export const recordAttemptFullPathSection: BenchSection = {
  name: 'record_attempt',
  description: 'one click through the app’s path: main’s IPC handler (sender check) → database worker → dispatch → commit (synchronous=FULL) → answer',
  run: async (ctx) => {
    const main = await startMainSide(ctx.file);
    try {
      return [await ctx.measure('record_attempt', Math.round(2000 * ctx.scale), () => click(main, ctx.randomClientCode(), ctx.random))];
    } finally {
      await main.stop();
    }
  },
};

/**
 * Writes the file as Excel (France) saves "CSV UTF-8": BOM, ';', CRLF, accents; some codes already in
 * the base. Runs in a worker thread of its own, self-contained (no imports: it is started from its
 * source text): generating 200,000 lines grew this process's heap by ~40 MB that V8 kept, which
 * peak_rss_mb then counted as the desk's.
 */
function writeClientsFileInWorker(job: { path: string; lines: number; existingEvery: number; existingCodes: string[] }): void {
  const fs = process.getBuiltinModule('node:fs');
  const fd = fs.openSync(job.path, 'w');
  let buffer = '\uFEFFCode client;Nom;Prénom;Téléphone;Email;Ville\r\n';
  const cities = ['Paris', 'Lyon', 'Dakar', 'Bamako', 'Abidjan', 'Lille', 'Nantes'];
  for (let i = 0; i < job.lines; i++) {
    // One line in `existingEvery` updates a client of the base (demo codes), the others are new.
    const code = i % job.existingEvery === 0 ? job.existingCodes[i / job.existingEvery] : `IMP${String(i).padStart(8, '0')}`;
    const phone = `06 ${String(10 + (i % 90)).padStart(2, '0')} ${String(i % 100).padStart(2, '0')} ${String((i * 7) % 100).padStart(2, '0')} ${String((i * 13) % 100).padStart(2, '0')}`;
    buffer += `${code};DUPONT-${i % 997} Société;Gaëlle;${phone};client${i}@exemple.fr;${cities[i % cities.length]}\r\n`;
    if (buffer.length > 1 << 20) {
      fs.writeSync(fd, buffer);
      buffer = '';
    }
  }
  fs.writeSync(fd, buffer);
  fs.closeSync(fd);
}

async function writeClientsFile(path: string, lines: number, existingEvery: number): Promise<void> {
  const existingCodes = Array.from({ length: Math.ceil(lines / existingEvery) }, (_, k) => demoClient(k).code);
  const writer = new Worker(`(${writeClientsFileInWorker.toString()})(require('node:worker_threads').workerData)`, {
    eval: true,
    workerData: { path, lines, existingEvery, existingCodes },
  });
  const [code] = (await once(writer, 'exit')) as [number];
  if (code !== 0) throw new Error(`writing the import file failed (worker exit ${code})`);
}

export interface ImportMeasurement {
  name: 'import_1m';
  lines_per_s: number;
  peak_rss_mb: number;
  rss_before_mb: number;
  main_heap_peak_mb: number;
  worker_heap_peak_mb: number;
  click_p99_ms: number;
  main_lag_p99_ms: number;
  n: number;
  seconds: number;
  clicks: number;
  main_lag_max_ms: number;
}

/**
 * The floor import_1m competes with, in the same run (measured in its own process, as import_1m:
 * test/bench/import-child.ts measureImportFloor): the import's own statements on the same file's
 * lines, parsed and folded beforehand, into a copy of the same base, with nothing else running.
 */
export const importSqlFloorSection: BenchSection = {
  name: 'import_sql_floor',
  outsideRss: true,
  description: "reference, not the app: import_1m's lines as rows already parsed, through the import's own upsert statements, 2,000 a transaction, no clicks, trigram index deferred (its floor)",
  run: async (ctx) => {
    const { csv } = await writeImportFile(ctx);
    try {
      return [await runImportChild(['floor', ctx.file, csv])];
    } finally {
      rmSync(csv, { force: true });
    }
  },
};

/** import_1m's file, beside this run's base: 1,000,000 lines (200,000 with --quick), one in 20 an update. */
async function writeImportFile(ctx: BenchContext): Promise<{ csv: string; lines: number }> {
  const lines = Math.round(1_000_000 * ctx.scale);
  const csv = join(ctx.file, '..', 'import-1m.csv');
  await writeClientsFile(csv, lines, 20);
  return { csv, lines };
}

/** Runs test/bench/import-child.ts with these arguments; its last line of output is the measurement. */
async function runImportChild(args: string[]): Promise<Measurement> {
  const child = spawn(process.execPath, [fileURLToPath(importChildUrl()), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`the bench's import process failed (exit ${code}): ${out.slice(-500)}`);
  return JSON.parse(line) as Measurement;
}

/** The measuring process (test/bench/import-child.ts), bundled beside run.bundle.mjs by scripts/bench.mjs, or from source. */
function importChildUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('./import-child.ts', here) : new URL('./import-child.bundle.mjs', here);
}

export const import1mSection: BenchSection = {
  name: 'import_1m',
  // Measured in a process of its own (the app's shape), so not in this process's rss_mb.
  outsideRss: true,
  description:
    '1,000,000-line CSV (Excel FR) streamed into the 100,000-client base by the database worker, clicks every 20 ms meanwhile, in a process shaped as the app (a main thread without a connection, the database worker); peak_rss_mb is that whole process',
  run: async (ctx) => {
    const { csv, lines } = await writeImportFile(ctx);
    const codes = join(ctx.file, '..', 'import-1m-click-codes.json');
    writeFileSync(codes, JSON.stringify(Array.from({ length: 5000 }, () => ctx.randomClientCode())));
    try {
      return [await runImportChild(['import', ctx.file, csv, String(lines), codes])];
    } finally {
      rmSync(csv, { force: true });
      rmSync(codes, { force: true });
    }
  },
};

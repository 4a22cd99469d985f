// import_1m's measuring process, shaped as the app's: a main thread that holds no connection to the
// base (main's IPC handlers with their sender check, a click every 20 ms, its event loop watched)
// and the database worker, which streams the file in. It runs in a process of its own so that
// peak_rss_mb is that of the app's process (main + database worker): the bench's own process also
// holds a connection to the base and the other sections' heap (~190 MB before any import).
// It also measures the import's floor (import_sql_floor), in a process of its own for the same reason.
//   node import-child.bundle.mjs import <base> <clients.csv> <lines in it> <codes.json>   → one JSON line on stdout
//   node import-child.bundle.mjs floor <base> <lines>

import { readFileSync, rmSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { clientRow, prepareClientRowUpsert, type ClientRow } from '../../db/clients.ts';
import { applyPragmas } from '../../db/connection.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { demoClient, seededRandom } from '../../db/demo.ts';
import { click, startMainSide, type ImportMeasurement } from './desk-path.ts';
import { percentile } from './measure.ts';

async function measureImport(base: string, csv: string, lines: number, codesFile: string): Promise<ImportMeasurement> {
  const codes = JSON.parse(readFileSync(codesFile, 'utf8')) as string[];
  const random = seededRandom(11);
  const main = await startMainSide(base);
  try {
    const lag = monitorEventLoopDelay({ resolution: 10 });
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    let peakMainHeap = 0;
    let peakWorkerHeap = 0;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakMainHeap = Math.max(peakMainHeap, usage.heapTotal);
      void main.database.heapStatistics().then((heap) => (peakWorkerHeap = Math.max(peakWorkerHeap, heap?.total_heap_size ?? 0)));
    }, 100);
    const clicks: number[] = [];
    let importing = true;
    const clicking = (async () => {
      while (importing) {
        const started = performance.now();
        await click(main, codes[Math.floor(random() * codes.length)]!, random);
        clicks.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    lag.enable();
    const started = performance.now();
    const result = await main.database.maintain({ action: 'importFile', file: csv, importId: 'bench' });
    const seconds = (performance.now() - started) / 1000;
    importing = false;
    await clicking;
    lag.disable();
    clearInterval(sampler);
    if (!result.ok) throw new Error(`import refused: ${result.error.code} ${result.error.message.en}`);
    clicks.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    const mb = (bytes: number) => round(bytes / 1024 / 1024);
    return {
      name: 'import_1m',
      lines_per_s: Math.round(lines / seconds),
      peak_rss_mb: mb(peakRss),
      rss_before_mb: mb(rssBefore),
      main_heap_peak_mb: mb(peakMainHeap),
      worker_heap_peak_mb: mb(peakWorkerHeap),
      click_p99_ms: round(percentile(clicks, 99)),
      main_lag_p99_ms: round(lag.percentile(99) / 1e6),
      n: lines,
      seconds: round(seconds),
      clicks: clicks.length,
      main_lag_max_ms: round(lag.max / 1e6),
    };
  } finally {
    await main.stop();
  }
}

interface FloorMeasurement {
  name: 'import_sql_floor';
  lines_per_s: number;
  us_per_line: number;
  n: number;
  rows_per_transaction: number;
}

/**
 * The import's own statements (db/clients.ts prepareClientRowUpsert, as db/import.ts's chunks run them:
 * trigram index deferred, synchronous=NORMAL), 2,000 rows a transaction, on import_1m's lines already
 * parsed and folded, into a copy of the base: what the schema's writes cost alone on this disk.
 */
async function measureImportFloor(base: string, lines: number): Promise<FloorMeasurement> {
  const copy = `${base}.import-floor.db`;
  const source = new BetterSqlite3(base, { readonly: true });
  try {
    await source.backup(copy);
  } finally {
    source.close();
  }
  const sqlite = new BetterSqlite3(copy);
  try {
    applyPragmas(sqlite);
    sqlite.pragma('synchronous = NORMAL');
    const upsert = prepareClientRowUpsert(sqlite);
    // As test/bench/desk-path.ts writes import_1m's file: one line in 20 updates a client of the base.
    const existing = Array.from({ length: Math.ceil(lines / 20) }, (_, k) => demoClient(k).code);
    const at = '2026-12-01T09:00:00.000Z';
    const cities = ['Paris', 'Lyon', 'Dakar', 'Bamako', 'Abidjan', 'Lille', 'Nantes'];
    const perTransaction = 2000;
    let seconds = 0;
    for (let start = 0; start < lines; start += perTransaction) {
      // The rows are built before the clock starts: the floor is the writes alone.
      const rows: ClientRow[] = [];
      for (let i = start; i < Math.min(lines, start + perTransaction); i++) {
        const phone = `06 ${String(10 + (i % 90)).padStart(2, '0')} ${String(i % 100).padStart(2, '0')} ${String((i * 7) % 100).padStart(2, '0')} ${String((i * 13) % 100).padStart(2, '0')}`;
        const code = i % 20 === 0 ? existing[i / 20]! : `IMP${String(i).padStart(8, '0')}`;
        const client = { code, name: `DUPONT-${i % 997} Société Gaëlle`, phones: [phone], email: `client${i}@exemple.fr`, city: cities[i % cities.length]!, address: null, extra: {} };
        rows.push(clientRow(client, at));
      }
      const started = performance.now();
      sqlite.exec('BEGIN IMMEDIATE');
      sqlite.exec('INSERT INTO clients_fts_deferral (deferring) VALUES (1)');
      for (const row of rows) upsert(row);
      sqlite.exec('DELETE FROM clients_fts_deferral');
      sqlite.exec('COMMIT');
      seconds += (performance.now() - started) / 1000;
    }
    return { name: 'import_sql_floor', lines_per_s: Math.round(lines / seconds), us_per_line: Math.round((seconds * 1e6) / lines), n: lines, rows_per_transaction: perTransaction };
  } finally {
    sqlite.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${copy}${suffix}`, { force: true });
  }
}

const [command, ...args] = process.argv.slice(2);
let measured: ImportMeasurement | FloorMeasurement;
if (command === 'import' && args.length === 4 && Number(args[2]) > 0) {
  const [base, csv, lines, codes] = args as [string, string, string, string];
  measured = await measureImport(base, csv, Number(lines), codes);
} else if (command === 'floor' && args.length === 2 && Number(args[1]) > 0) {
  measured = await measureImportFloor(args[0]!, Number(args[1]));
} else {
  console.error('usage: import-child import <base> <clients.csv> <lines in it> <codes.json> | floor <base> <lines>');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(measured)}\n`);

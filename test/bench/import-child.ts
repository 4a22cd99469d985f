// import_1m's measuring process, shaped as the app's: a main thread that holds no connection to the
// base (main's IPC handlers with their sender check, a click every 20 ms, its event loop watched)
// and the database worker, which streams the file in. It runs in a process of its own so that
// peak_rss_mb is that of the app's process (main + database worker): the bench's own process also
// holds a connection to the base and the other sections' heap (~190 MB before any import).
// It also measures the import's floor (import_sql_floor), in a process of its own for the same reason.
//   node import-child.bundle.mjs import <base> <clients.csv> <lines in it> <codes.json>   → one JSON line on stdout
//   node import-child.bundle.mjs floor <base> <clients.csv>

import { createReadStream, readFileSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { clientRow, prepareClientRowUpsert, type ClientRow } from '../../db/clients.ts';
import { applyPragmas } from '../../db/connection.ts';
import { parseClientsCsvBatches } from '../../db/csv-clients.ts';
import { seededRandom } from '../../db/demo.ts';
import { prepareChunkStatements } from '../../db/import.ts';
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
 * The import's own statements (db/clients.ts prepareClientRowUpsert, under db/import.ts's deferral of
 * the trigram index, synchronous=NORMAL), 2,000 rows a transaction, on import_1m's own file read and
 * parsed beforehand by the import's parser, into a copy of the base: what the schema's writes cost
 * alone on this disk.
 */
async function measureImportFloor(base: string, csv: string): Promise<FloorMeasurement> {
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
    const deferral = prepareChunkStatements(sqlite);
    const at = '2026-12-01T09:00:00.000Z';
    const perTransaction = 2000;
    let rows: ClientRow[] = [];
    let written = 0;
    let seconds = 0;
    // Only the transaction is timed: the rows were read, parsed and folded before it.
    const write = () => {
      const started = performance.now();
      sqlite.exec('BEGIN IMMEDIATE');
      deferral.defer.run();
      for (const row of rows) upsert(row);
      deferral.undefer.run();
      sqlite.exec('COMMIT');
      seconds += (performance.now() - started) / 1000;
      written += rows.length;
      rows = [];
    };
    for await (const batch of parseClientsCsvBatches(createReadStream(csv))) {
      for (const entry of batch.entries) {
        if ('client' in entry) rows.push(clientRow(entry.client, at));
        if (rows.length === perTransaction) write();
      }
    }
    if (rows.length > 0) write();
    return { name: 'import_sql_floor', lines_per_s: Math.round(written / seconds), us_per_line: Math.round((seconds * 1e6) / written), n: written, rows_per_transaction: perTransaction };
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
} else if (command === 'floor' && args.length === 2) {
  measured = await measureImportFloor(args[0]!, args[1]!);
} else {
  console.error('usage: import-child import <base> <clients.csv> <lines in it> <codes.json> | floor <base> <clients.csv>');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(measured)}\n`);

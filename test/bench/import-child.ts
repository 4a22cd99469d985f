// import_1m's measuring process, shaped as the app's: a main thread that holds no connection to the
// base (main's IPC handlers with their sender check, a click every 20 ms, its event loop watched)
// and the database worker, which streams the file in. It runs in a process of its own so that
// peak_rss_mb is that of the app's process (main + database worker): the bench's own process also
// holds a connection to the base and the other sections' heap (~190 MB before any import).
//   node import-child.bundle.mjs <base> <clients.csv> <lines in it> <codes.json>   → one JSON line on stdout

import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seededRandom } from '../../db/demo.ts';
import { click, startMainSide, type ImportMeasurement } from './desk-path.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

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

const [base, csv, lines, codes] = process.argv.slice(2);
if (!base || !csv || !codes || !(Number(lines) > 0)) {
  console.error('usage: import-child <base> <clients.csv> <lines in it> <codes.json>');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await measureImport(base, csv, Number(lines), codes))}\n`);

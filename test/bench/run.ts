// npm run bench [-- --json] [-- --quick] [-- --only=name,name]   (sections: see sections.ts; sync_10m is the server on 10M attempts)
// Measures the desk's operations on a database of 100,000 clients and 1,000,000 attempts, through
// createDeskHandlers and dispatch (the code main runs). The database is built once into
// .bench-cache/ (rebuilt when the schema, the generator or the sizes change), then copied to a
// temporary file for each run so that every run starts from the same state.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { openDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { migrationProvider } from '../../db/migrations/index.ts';
import { benchDataVersion, benchShape } from './build-db.ts';
import { callThroughDispatch, measure, rssTargetMb, sections, type BenchContext, type Measurement } from './sections.ts';
import { seededRandom } from '../../db/demo.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
// --only=a,b or --only a,b
const onlyAt = args.indexOf('--only');
const only = (args.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? (onlyAt >= 0 ? args[onlyAt + 1] : undefined))?.split(',');
if (only) {
  const unknown = only.filter((name) => !sections.some((s) => s.name === name));
  if (unknown.length) {
    process.stderr.write(`--only: unknown section(s) ${unknown.join(', ')}; known: ${sections.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
}
const selected = sections.filter((s) => !only || only.includes(s.name));
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};

const root = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = join(root, '.bench-cache');

async function cachedDatabase(): Promise<string> {
  const migrations = Object.keys(await migrationProvider.getMigrations()).sort();
  const key = `v${benchDataVersion}-m${migrations.length}-${migrations.at(-1)}-${benchShape.clients}c-${benchShape.attempts}a`;
  const file = join(cacheDir, `desk-${key}.db`);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  for (const old of readdirSync(cacheDir)) if (old.startsWith('desk-')) rmSync(join(cacheDir, old), { force: true });
  log(`Building the benchmark database (${benchShape.clients} clients, ${benchShape.attempts} attempts) into ${file}…`);
  // In its own process: the generator's memory must not count in the desk's RSS.
  const built = spawnSync(process.execPath, [fileURLToPath(new URL('./build-db.ts', import.meta.url)), file], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0 || !existsSync(file)) throw new Error(`building the benchmark database failed (exit ${built.status})`);
  return file;
}


async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'desk-bench-'));
  const file = join(dir, 'desk.db');
  // Sections that bring their own database (sync, sync_10m), run alone, get an empty desk instead
  // of waiting for the 1M desk base to be built.
  if (selected.some((s) => !s.ownDatabase)) copyFileSync(await cachedDatabase(), file);
  const local = await openDatabase(file);
  const results: Measurement[] = [];
  let peakRss = process.memoryUsage().rss;
  try {
    const desk = createDeskHandlers(local);
    await desk.updateSettings({ agentName: 'Agent Bench' });
    const random = seededRandom(7);
    const maxRowid = local.sqlite.prepare(`SELECT max(rowid) FROM clients`).pluck().get() as number;
    const codeAt = local.sqlite.prepare(`SELECT code FROM clients WHERE rowid >= ? ORDER BY rowid LIMIT 1`).pluck();
    const ctx: BenchContext = {
      local,
      desk,
      file,
      random,
      randomClientCode: () => codeAt.get(1 + Math.floor(random() * maxRowid)) as string,
      scale: quick ? 0.2 : 1,
      measure,
      call: (operation, input) => callThroughDispatch(desk, operation, input),
    };
    for (const section of selected) {
      if (section.outsideRss) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const measured = await section.run(ctx);
      results.push(...measured);
      if (!section.outsideRss) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      for (const m of measured) {
        if (json) process.stdout.write(`${JSON.stringify(m)}\n`);
      }
    }
  } finally {
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const rssMb = Math.round((peakRss / 1024 / 1024) * 10) / 10;
  // The click against its floor, same run, same disk (issue 10: p50 ≤ 2.5×, p99 ≤ 3×).
  const commit = results.find((m) => m.name === 'sqlite_commit');
  const click = results.find((m) => m.name === 'record_attempt');
  const ratio =
    commit && click
      ? { name: 'record_attempt_vs_commit', p50_ratio: Math.round((click.p50_ms / commit.p50_ms) * 100) / 100, p99_ratio: Math.round((click.p99_ms / commit.p99_ms) * 100) / 100 }
      : null;
  // …and against its own statements run raw: what the domain code and the hop add to SQLite's work.
  const sql = results.find((m) => m.name === 'record_attempt_sql');
  const overSql =
    sql && click
      ? { name: 'record_attempt_vs_sql', p50_ratio: Math.round((click.p50_ms / sql.p50_ms) * 100) / 100, p99_ratio: Math.round((click.p99_ms / sql.p99_ms) * 100) / 100 }
      : null;
  // The import against its floor, same run: how much of the schema's own write speed it reaches.
  const floor = results.find((m) => m.name === 'import_sql_floor') as unknown as { lines_per_s: number } | undefined;
  const imported = results.find((m) => m.name === 'import_1m') as unknown as { lines_per_s: number } | undefined;
  const importOverFloor =
    floor && imported ? { name: 'import_1m_vs_sql_floor', lines_ratio: Math.round((imported.lines_per_s / floor.lines_per_s) * 100) / 100 } : null;
  if (json) {
    if (ratio) process.stdout.write(`${JSON.stringify(ratio)}\n`);
    if (overSql) process.stdout.write(`${JSON.stringify(overSql)}\n`);
    if (importOverFloor) process.stdout.write(`${JSON.stringify(importOverFloor)}\n`);
    process.stdout.write(`${JSON.stringify({ name: 'rss_mb', value: rssMb })}\n`);
    return;
  }
  const targets = new Map(sections.map((s) => [s.name, s.targetP99Ms]));
  const timed = results.filter((m) => typeof m.p50_ms === 'number');
  const rows = timed.map((m) => {
    const target = targets.get(m.name);
    const verdict = target === undefined ? '' : m.p99_ms <= target ? 'ok' : 'MISSED';
    return [m.name, m.p50_ms.toFixed(3), m.p99_ms.toFixed(3), String(m.n), target === undefined ? '' : `≤ ${target}`, verdict];
  });
  rows.push(['rss_mb', '', String(rssMb), '', `≤ ${rssTargetMb}`, rssMb <= rssTargetMb ? 'ok' : 'MISSED']);
  const header = ['operation', 'p50 ms', 'p99 ms', 'n', 'target p99', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  log('');
  log(`Notification Desk — local database benchmark (${benchShape.clients} clients, ${benchShape.attempts} attempts)`);
  log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
  log(format(header));
  for (const r of rows) log(format(r));
  if (ratio) log(`record_attempt / sqlite_commit: p50 ×${ratio.p50_ratio} (target ≤ 2.5), p99 ×${ratio.p99_ratio} (target ≤ 3)`);
  for (const m of results.filter((r) => typeof r.p50_ms !== 'number')) log(JSON.stringify(m));
  for (const s of selected) log(`  ${s.name}: ${s.description}`);
}

await main();

// npm run bench [-- --json] [-- --quick] [-- --only=a,b | --only a,b]   (sync_10m: the server on a 10M-attempt PostgreSQL base)
// Runs test/bench/run.ts as the app runs its main process: bundled to plain JavaScript first, so
// that rss_mb is the desk's memory and not a TypeScript loader's (Node's type stripper alone adds
// ~24 MB). The bundle sits next to run.ts, so its file-relative paths are the same.

import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const entry = here('../test/bench/run.ts');
const bundleFile = here('../test/bench/run.bundle.mjs');

/** Bundled to plain JavaScript, packages left to node_modules, as the app's own build does. */
const bundle = (entryPoint, outfile) =>
  build({ entryPoints: [entryPoint], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node24', packages: 'external', logLevel: 'warning' });

await bundle(entry, bundleFile);
// The database worker thread, bundled the same way (test/bench/desk-path.ts starts it from here).
await bundle(here('../db/database-worker.ts'), here('../test/bench/database-worker.bundle.mjs'));
// import_1m's measuring process, shaped as the app's main (test/bench/import-child.ts).
await bundle(here('../test/bench/import-child.ts'), here('../test/bench/import-child.bundle.mjs'));

// The console reads its stylesheet and icon next to its module, as in the server's package
// (server/bundle.mjs copies them into dist/assets): the same beside this bundle.
cpSync(here('../server/console/assets'), here('../test/bench/assets'), { recursive: true });

const run = spawnSync(process.execPath, [bundleFile, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);

// Packaging for real: electron-builder lays out the Linux app from electron-builder.yml (with a stand-in
// for the Electron binary, which cannot be downloaded here), and the result is read back: the bundles
// are in the asar, every package the main bundle imports is there, and the SQLite prebuilds sit
// unpacked next to it, byte for byte the files the Node-API test loads.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const require = createRequire(join(root, 'package.json'));
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'));
const asar = builderRequire('@electron/asar') as {
  listPackage(archive: string, options?: object): string[];
  extractFile(archive: string, file: string): Buffer;
};

// Main starts its worker threads from files next to index.js: without them the app opens no database.
const builtFiles = ['out/main/index.js', 'out/main/database-worker.js', 'out/main/sync-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const notBuilt = builtFiles.filter((f) => !existsSync(join(root, f)));
const skipReason = notBuilt.length ? `SKIPPED: ${notBuilt.join(', ')} not built; run npx electron-vite build first` : null;
if (skipReason) console.warn(`[electron-package] ${skipReason}`);

/** Bare package names imported by the built main-process bundles, chunks and workers (their externals). */
function mainExternals(): string[] {
  const names = new Set<string>();
  const bundles = readdirSync(join(root, 'out', 'main'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(m?js|cjs)$/.test(f));
  for (const file of bundles) {
    const code = readFileSync(join(root, 'out', 'main', file), 'utf8');
    // Not a quoted word: `fileNameOf("…", "from", "until", "to")` is no import.
    for (const m of code.matchAll(/(?:(?<!["'])\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'./][^"']*)["']/g)) {
      const specifier = m[1] as string;
      if (specifier.startsWith('node:') || specifier === 'electron') continue;
      names.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string));
    }
  }
  return [...names].sort();
}

describe.skipIf(skipReason !== null)('packaged app (electron-builder --dir, linux x64)', () => {
  let work: string;
  let resources: string;
  let unpackedDir: string;
  let archive: string;
  let entries: Set<string>;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'desk-package-'));
    const electronDist = join(work, 'electron-dist');
    const output = join(work, 'release');
    spawnSync('mkdir', ['-p', electronDist]);
    writeFileSync(join(electronDist, 'electron'), standInElectron());
    chmodSync(join(electronDist, 'electron'), 0o755);
    const run = spawnSync(
      process.execPath,
      [
        require.resolve('electron-builder/cli.js'),
        '--linux',
        '--dir',
        '--x64',
        '--publish',
        'never',
        `-c.electronDist=${electronDist}`,
        `-c.directories.output=${output}`,
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, timeout: 240_000 },
    );
    if (run.status !== 0) throw new Error(`electron-builder failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    unpackedDir = join(output, 'linux-unpacked');
    resources = join(unpackedDir, 'resources');
    archive = join(resources, 'app.asar');
    entries = new Set(asar.listPackage(archive).map((p) => p.replaceAll('\\', '/')));
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('puts the bundles (main and its two workers, preload, renderer) and package.json in the asar, and no sources', () => {
    for (const file of ['/package.json', ...builtFiles.map((f) => `/${f}`)]) expect(entries.has(file), file).toBe(true);
    const sources = [...entries].filter((p) => /^\/(main|preload|db|contract|renderer|sync|server|web|test|scripts)\//.test(p));
    expect(sources).toEqual([]);
    expect(JSON.parse(asar.extractFile(archive, 'package.json').toString()).main).toBe('out/main/index.js');
  });

  it('ships every package the main bundle imports', () => {
    const externals = mainExternals();
    expect(externals).toContain('better-sqlite3');
    for (const name of externals) expect(entries.has(`/node_modules/${name}/package.json`), name).toBe(true);
  });

  it('unpacks its own platform’s SQLite prebuild only, identical to the one tested, without C sources', () => {
    const prebuilds = join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'prebuilds');
    expect(readdirSync(prebuilds)).toEqual(['linux-x64.node']);
    const original = readFileSync(join(root, 'node_modules', 'better-sqlite3', 'prebuilds', 'linux-x64.node'));
    expect(readFileSync(join(prebuilds, 'linux-x64.node')).equals(original)).toBe(true);
    expect([...entries].filter((p) => p.startsWith('/node_modules/better-sqlite3/deps/') || p.startsWith('/node_modules/better-sqlite3/src/'))).toEqual([]);
    expect(existsSync(join(root, 'node_modules', 'better-sqlite3', 'build'))).toBe(false);
  });

  it('flips Electron’s fuses in the packaged executable', () => {
    const binary = readFileSync(join(unpackedDir, 'notification-desk'));
    const at = binary.indexOf(fuseSentinel) + fuseSentinel.length;
    expect(binary[at]).toBe(1);
    const wire = binary.subarray(at + 2, at + 2 + (binary[at + 1] as number)).toString('latin1');
    // RunAsNode, CookieEncryption, NODE_OPTIONS, --inspect, asar integrity, only app.asar, V8 snapshot, file: privileges.
    expect(wire.slice(0, 8)).toBe('01001100');
  });

  it('carries the updater’s app-update.yml (generic provider, its cache folder), the feed URL being the policy’s', () => {
    const config = readFileSync(join(resources, 'app-update.yml'), 'utf8');
    expect(config).toMatch(/^provider: generic$/m);
    expect(config).toMatch(/^updaterCacheDirName: \S+$/m);
    // A placeholder that resolves nowhere: main/updater.ts sets the site's updateUrl before any check.
    expect(config).toContain('.invalid');
  });

  it('ships the third-party licence notices', () => {
    const notices = readFileSync(join(resources, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    for (const name of ['better-sqlite3', 'kysely', 'zod', 'electron-log', 'electron-updater']) expect(notices).toMatch(new RegExp(`^${name} \\S+ — MIT$`, 'm'));
  });
});

/** The fuse wire Electron's binary carries (@electron/fuses' format): sentinel, version 1, length, one byte per fuse. */
const fuseSentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** A shell script standing in for Electron, carrying Electron 45's default fuse wire for electron-builder to flip. */
function standInElectron(): Buffer {
  const defaults = '101100011';
  return Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n# '), Buffer.from(fuseSentinel), Buffer.from([1, defaults.length]), Buffer.from(defaults), Buffer.from('\n')]);
}

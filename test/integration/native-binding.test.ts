// The SQLite binding the packaged app loads is better-sqlite3's Node-API prebuild: the same file loads
// in this Node 24 and in Electron, so packaging needs no electron-rebuild. This checks that claim
// against the files on disk and against electron-builder.yml.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const require = createRequire(join(root, 'package.json'));
const packageDir = dirname(require.resolve('better-sqlite3/package.json'));
const platformKey = `${process.platform}-${process.arch}`;

// electron-builder reads its YAML with js-yaml and matches asarUnpack with minimatch({ dot: true }):
// use its own copies, so a pattern that passes here is a pattern electron-builder accepts.
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };
const { Minimatch } = builderRequire('minimatch') as {
  Minimatch: new (pattern: string, options: { dot: boolean }) => { match(path: string): boolean };
};

interface BuilderConfig {
  asar?: boolean;
  asarUnpack?: string[];
  npmRebuild?: boolean;
  nodeGypRebuild?: boolean;
  win?: { target: { target: string; arch: string[] }[] };
  linux?: { target: { target: string; arch: string[] }[] };
  mac?: { target: { target: string; arch: string[] }[] };
}
const builderConfig = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

/** Every platform-arch the packaging targets, e.g. win32-x64, darwin-arm64. */
function packagedTargets(): string[] {
  const platforms = { win: 'win32', linux: 'linux', mac: 'darwin' } as const;
  const keys = new Set<string>();
  for (const [section, platform] of Object.entries(platforms)) {
    for (const target of builderConfig[section as keyof typeof platforms]?.target ?? []) {
      for (const arch of target.arch) keys.add(`${platform}-${arch}`);
    }
  }
  return [...keys].sort();
}

/** What kind of binary a file is, from its header: format and CPU. */
function binaryKind(file: string): string {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) === 0x7f454c46) {
    const machine = b.readUInt16LE(18);
    return `elf-${machine === 0x3e ? 'x64' : machine === 0xb7 ? 'arm64' : machine}`;
  }
  if (b.readUInt16BE(0) === 0x4d5a) {
    const pe = b.readUInt32LE(0x3c);
    const machine = b.readUInt16LE(pe + 4);
    return `pe-${machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : machine}`;
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = b.readUInt32LE(4);
    return `macho-${cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : cpu}`;
  }
  return 'unknown';
}

const expectedKind: Record<string, string> = {
  'win32-x64': 'pe-x64',
  'win32-arm64': 'pe-arm64',
  'linux-x64': 'elf-x64',
  'linux-arm64': 'elf-arm64',
  'darwin-x64': 'macho-x64',
  'darwin-arm64': 'macho-arm64',
};

describe('better-sqlite3 native binding', () => {
  const prebuild = join(packageDir, 'prebuilds', `${platformKey}.node`);

  it('the platform entry point loads the prebuild, not a compiled build', () => {
    const entry = require.resolve(`better-sqlite3/${platformKey}`);
    expect(relative(packageDir, entry)).toBe(join('lib', `${platformKey}.js`));
    expect(readFileSync(entry, 'utf8')).toContain(`require('../prebuilds/${platformKey}.node')`);
    expect(existsSync(prebuild)).toBe(true);
  });

  it('the default entry point (the one main bundles) resolves to the same prebuild: no node-gyp output shadows it', () => {
    for (const build of ['build/Release/better_sqlite3.node', 'build/Debug/better_sqlite3.node']) {
      expect(existsSync(join(packageDir, build)), build).toBe(false);
    }
    const binding = require(join(packageDir, 'lib', 'binding.js')) as { getPrebuildPath(): string | null };
    expect(binding.getPrebuildPath()).toBe(prebuild);
  });

  it('is a Node-API module and loads with process.dlopen in this Node', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    const module = { exports: {} as Record<string, unknown> };
    process.dlopen(module, prebuild);
    expect(typeof module.exports.Database).toBe('function');
    const binary = readFileSync(prebuild);
    expect(binary.includes('napi_register_module_v1')).toBe(true);
    // Modules tied to one Node ABI register with node_register_module_v<ABI> and would need a rebuild.
    expect(binary.includes('node_register_module_v')).toBe(false);
  });

  it('opens, writes and reads a database file through it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'desk-binding-'));
    try {
      const Database = require(`better-sqlite3/${platformKey}`) as typeof import('better-sqlite3');
      const db = new Database(join(dir, 'probe.db'));
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (v TEXT) STRICT');
      db.prepare('INSERT INTO t (v) VALUES (?)').run('Notifié');
      expect(db.prepare('SELECT v FROM t').pluck().get()).toBe('Notifié');
      expect(db.prepare('SELECT sqlite_version()').pluck().get()).toMatch(/^3\./);
      expect(db.prepare("SELECT count(*) FROM pragma_compile_options WHERE compile_options LIKE 'ENABLE_FTS5'").pluck().get()).toBe(1);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a Node-API prebuild of the right format for every target of electron-builder.yml', () => {
    const targets = packagedTargets();
    expect(targets).toEqual(expect.arrayContaining(['win32-x64', 'linux-x64', 'darwin-x64', 'darwin-arm64']));
    for (const target of targets) {
      const file = join(packageDir, 'prebuilds', `${target}.node`);
      expect(existsSync(file), target).toBe(true);
      expect(binaryKind(file), target).toBe(expectedKind[target]);
      expect(readFileSync(file).includes('napi_register_module_v1'), target).toBe(true);
    }
  });

  it('electron-builder.yml unpacks the prebuilds from the asar and rebuilds nothing', () => {
    expect(builderConfig.asar).toBe(true);
    expect(builderConfig.npmRebuild).toBe(false);
    expect(builderConfig.nodeGypRebuild).toBe(false);
    const patterns = (builderConfig.asarUnpack ?? []).map((p) => new Minimatch(p, { dot: true }));
    const unpacked = (path: string) => patterns.some((p) => p.match(path));
    for (const target of packagedTargets()) {
      expect(unpacked(`node_modules/better-sqlite3/prebuilds/${target}.node`), target).toBe(true);
    }
    expect(unpacked('node_modules/better-sqlite3/lib/index.js')).toBe(false);
    expect(unpacked('out/main/index.js')).toBe(false);
  });
});

// Backups of the desk's base and the checks that tell a healthy base from a damaged one. Online
// backups with SQLite's backup API (better-sqlite3 `backup()`: page by page, the connection keeps
// answering between steps) into `<data folder>/backups/`, a few kept in rotation; written to a
// `.partial` name first, so a backup cut by a crash is never taken for a whole one.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { backupsDirName } from './database-messages.ts';
import { migrationNames } from './migrations/index.ts';

export { backupsDirName } from './database-messages.ts';
export const backupsKept = 5;
const backupPattern = /^notification-desk-(\d{8}T\d{6}(?:\d{3})?Z)\.db$/;

export interface BackupInfo {
  file: string;
  /** ISO time the backup was taken. */
  takenAt: string;
  bytes: number;
}

export function backupsDirOf(dataDir: string): string {
  return join(dataDir, backupsDirName);
}

function stampOf(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

function takenAtOf(stamp: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z$/.exec(stamp);
  if (!m) return stamp;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7] ?? '000'}Z`;
}

/** Backups in the folder, newest first. */
export function listBackups(dir: string): BackupInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, match: backupPattern.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .sort((a, b) => (a.name < b.name ? 1 : -1))
    .map(({ name, match }) => ({ file: join(dir, name), takenAt: takenAtOf(match[1] as string), bytes: statSync(join(dir, name)).size }));
}

/** One online backup into `dir`, then the oldest beyond `keep` are removed. */
export async function takeBackup(sqlite: BetterSqlite3.Database, dir: string, at = new Date(), keep = backupsKept): Promise<BackupInfo> {
  mkdirSync(dir, { recursive: true });
  let file = join(dir, `notification-desk-${stampOf(at)}.db`);
  // Two backups in the same millisecond (a test, a quit right after a periodic one): the later wins a new name.
  for (let n = 1; existsSync(file); n++) file = join(dir, `notification-desk-${stampOf(new Date(at.getTime() + n))}.db`);
  const partial = `${file}.partial`;
  try {
    await sqlite.backup(partial);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  for (const old of listBackups(dir).slice(keep)) rmSync(old.file, { force: true });
  return { file, takenAt: takenAtOf(stampOf(at)), bytes: statSync(file).size };
}

export type BaseHealth =
  | { state: 'ok' }
  | { state: 'missing' }
  | { state: 'empty' }
  | { state: 'damaged'; details: string }
  | { state: 'newer'; migration: string };

/**
 * Whether a base file can be opened by this version: exists, is a SQLite database passing
 * `PRAGMA quick_check`, and holds no migration this version does not know.
 */
export function inspectBase(file: string): BaseHealth {
  if (!existsSync(file)) return { state: 'missing' };
  if (statSync(file).size === 0) return { state: 'empty' };
  let sqlite: BetterSqlite3.Database | null = null;
  try {
    sqlite = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const check = sqlite.pragma('quick_check', { simple: true });
    if (check !== 'ok') return { state: 'damaged', details: String(check).slice(0, 200) };
    const hasMigrations = sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'`).get();
    if (hasMigrations) {
      const names = (sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]).map((r) => r.name);
      const unknown = names.filter((name) => !migrationNames.includes(name));
      if (unknown.length > 0) return { state: 'newer', migration: unknown.at(-1) as string };
    }
    return { state: 'ok' };
  } catch (error) {
    return { state: 'damaged', details: `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim().slice(0, 200) };
  } finally {
    sqlite?.close();
  }
}

/** The newest backup this version can open, or null. */
export function latestUsableBackup(dir: string): BackupInfo | null {
  return listBackups(dir).find((backup) => inspectBase(backup.file).state === 'ok') ?? null;
}

/** Moves a base (and its WAL and shared-memory files) aside under a dated name; returns the new name. */
export function setAside(file: string, why: string, at = new Date()): string | null {
  if (!existsSync(file)) {
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    return null;
  }
  const aside = `${file}.${why}-${stampOf(at)}`;
  renameSync(file, aside);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(`${file}${suffix}`)) renameSync(`${file}${suffix}`, `${aside}${suffix}`);
  }
  return basename(aside);
}

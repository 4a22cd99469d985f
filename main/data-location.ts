// Where the desk's base lives. On Windows the user-data folder is the roaming profile (%APPDATA%),
// which folder redirection moves onto a file share, where SQLite's WAL is not safe (no shared
// memory across machines, locks a share may not honour). The base goes to the local, non-roaming
// %LOCALAPPDATA% instead, and a base found in the old place is moved there once, before it opens.
// Elsewhere the user-data folder is already local.

import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backupsDirName } from '../db/database-messages.ts';
import type { DeskLog } from './log.ts';

export const dataFolderName = 'Notification Desk';

export function databaseDirectory(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, userDataDir: string): string {
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, dataFolderName);
  return userDataDir;
}

/** The base's files: the database with its -wal and -shm, set-aside copies, the device marker, backups. */
function baseEntries(dir: string, databaseFileName: string): string[] {
  if (!existsSync(dir)) return [];
  const stem = databaseFileName.replace(/\.db$/, '');
  return readdirSync(dir).filter((name) => name.startsWith(stem) || name === backupsDirName);
}

/**
 * Moves the base from `from` to `to` when `to` has none yet. Everything is copied first and the old
 * files removed only once all copies are in place, so a failure (disk full, a share gone) leaves the
 * old base whole and in use. Returns the folder to open the base from, and what happened.
 */
export function moveBaseIfNeeded(from: string, to: string, databaseFileName: string, log: DeskLog): { dir: string; outcome: 'none' | 'moved' | 'both' | 'failed' } {
  if (from === to || !existsSync(join(from, databaseFileName))) return { dir: to, outcome: 'none' };
  if (existsSync(join(to, databaseFileName))) {
    log.warn(`data: a base exists in both ${from} and ${to}; the one in ${to} is used, the other left in place`);
    return { dir: to, outcome: 'both' };
  }
  const entries = baseEntries(from, databaseFileName);
  const staging = join(to, `.moving-${process.pid}`);
  const placed: string[] = [];
  try {
    mkdirSync(staging, { recursive: true });
    for (const name of entries) cpSync(join(from, name), join(staging, name), { recursive: true, errorOnExist: true, force: false, preserveTimestamps: true });
    for (const name of entries) {
      if (existsSync(join(to, name))) throw new Error(`${join(to, name)} already exists`);
      renameSync(join(staging, name), join(to, name));
      placed.push(name);
    }
    rmSync(staging, { recursive: true, force: true });
  } catch (error) {
    log.error(`data: cannot move the base from ${from} to ${to}; it stays where it is`, error);
    // Only the copies this move placed are taken back; the old base was never touched.
    rmSync(staging, { recursive: true, force: true });
    for (const name of placed) rmSync(join(to, name), { recursive: true, force: true });
    return { dir: from, outcome: 'failed' };
  }
  for (const name of entries) rmSync(join(from, name), { recursive: true, force: true });
  log.info(`data: base moved from ${from} to ${to} (${entries.length} entries)`);
  return { dir: to, outcome: 'moved' };
}

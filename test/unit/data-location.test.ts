// The base out of the roaming profile on Windows (%LOCALAPPDATA%), moved there once with its WAL,
// device marker and backups; a move that cannot finish leaves the old base whole and in use.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseDirectory, moveBaseIfNeeded } from '../../main/data-location.ts';
import { openDeskLog } from '../../main/log.ts';
import { tempDir } from '../helpers/local-db.ts';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function roamingBase(root: string): string {
  const roaming = join(root, 'Roaming', 'Notification Desk');
  mkdirSync(join(roaming, 'backups'), { recursive: true });
  for (const name of ['notification-desk.db', 'notification-desk.db-wal', 'notification-desk.db-shm', 'notification-desk.device', 'notification-desk.db.damaged-20260101']) {
    writeFileSync(join(roaming, name), name);
  }
  writeFileSync(join(roaming, 'backups', 'b1.db'), 'backup');
  writeFileSync(join(roaming, 'policy-problems-shown'), 'x');
  mkdirSync(join(roaming, 'logs'));
  return roaming;
}

describe('where the base lives', () => {
  it('is %LOCALAPPDATA% on Windows, the user-data folder elsewhere', () => {
    expect(databaseDirectory('win32', { LOCALAPPDATA: 'C:\\Users\\awa\\AppData\\Local' }, 'C:\\Users\\awa\\AppData\\Roaming\\Notification Desk')).toBe(
      join('C:\\Users\\awa\\AppData\\Local', 'Notification Desk'),
    );
    expect(databaseDirectory('linux', {}, '/home/awa/.config/Notification Desk')).toBe('/home/awa/.config/Notification Desk');
  });

  it('moves an existing base with its WAL, marker, set-aside copies and backups, and nothing else', () => {
    dir = tempDir('desk-move-');
    const roaming = roamingBase(dir);
    const local = join(dir, 'Local', 'Notification Desk');
    mkdirSync(local, { recursive: true });
    const log = openDeskLog({ dir: join(dir, 'log'), level: 'info' });
    expect(moveBaseIfNeeded(roaming, local, 'notification-desk.db', log)).toEqual({ dir: local, outcome: 'moved' });
    for (const name of ['notification-desk.db', 'notification-desk.db-wal', 'notification-desk.db-shm', 'notification-desk.device', 'notification-desk.db.damaged-20260101']) {
      expect(readFileSync(join(local, name), 'utf8'), name).toBe(name);
      expect(existsSync(join(roaming, name)), name).toBe(false);
    }
    expect(readFileSync(join(local, 'backups', 'b1.db'), 'utf8')).toBe('backup');
    expect(existsSync(join(roaming, 'policy-problems-shown'))).toBe(true);
    expect(existsSync(join(roaming, 'logs'))).toBe(true);
    expect(readFileSync(log.file, 'utf8')).toContain('data: base moved');
    // Next start: nothing left to move.
    expect(moveBaseIfNeeded(roaming, local, 'notification-desk.db', log)).toEqual({ dir: local, outcome: 'none' });
  });

  it('keeps using the old base when the move cannot finish', () => {
    dir = tempDir('desk-move-');
    const roaming = roamingBase(dir);
    const local = join(dir, 'Local', 'Notification Desk');
    // Something of the same name already in the local folder (a left-over marker): the move stops there.
    mkdirSync(join(local, 'notification-desk.device'), { recursive: true });
    writeFileSync(join(local, 'notification-desk.device', 'keep'), 'not ours');
    const log = openDeskLog({ dir: join(dir, 'log'), level: 'info' });
    expect(moveBaseIfNeeded(roaming, local, 'notification-desk.db', log)).toEqual({ dir: roaming, outcome: 'failed' });
    for (const name of ['notification-desk.db', 'notification-desk.db-wal', 'notification-desk.db-shm', 'notification-desk.device']) {
      expect(readFileSync(join(roaming, name), 'utf8'), name).toBe(name);
    }
    expect(existsSync(join(local, 'notification-desk.db'))).toBe(false);
    expect(existsSync(join(local, 'notification-desk.db-wal'))).toBe(false);
    expect(readFileSync(join(local, 'notification-desk.device', 'keep'), 'utf8')).toBe('not ours');
    expect(readFileSync(log.file, 'utf8')).toContain('cannot move the base');
  });

  it('uses the local base when both exist, leaving the roaming one alone', () => {
    dir = tempDir('desk-move-');
    const roaming = roamingBase(dir);
    const local = join(dir, 'Local', 'Notification Desk');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'notification-desk.db'), 'local');
    const log = openDeskLog({ dir: join(dir, 'log'), level: 'info' });
    expect(moveBaseIfNeeded(roaming, local, 'notification-desk.db', log)).toEqual({ dir: local, outcome: 'both' });
    expect(readFileSync(join(local, 'notification-desk.db'), 'utf8')).toBe('local');
    expect(existsSync(join(roaming, 'notification-desk.db'))).toBe(true);
  });
});

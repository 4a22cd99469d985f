// The base's bad days, through the real database worker: automatic backups in rotation and at quit,
// a missing, empty, damaged or newer-version base found at start (and the two ways out), and a
// restore that keeps the unsynced outbox.

import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptOutcome, ClientPage, RecoveryOutcome, Result, StorageState } from '../../contract/index.ts';
import { backupsDirOf, listBackups } from '../../db/backups.ts';
import { startDatabase, type DatabaseClient } from '../../db/database-client.ts';
import { recomputedStatuses } from '../helpers/db-snapshot.ts';
import { tempDir } from '../helpers/local-db.ts';

let dir: string;
let file: string;
const open: DatabaseClient[] = [];

beforeEach(() => {
  dir = tempDir('desk-storage-');
  file = join(dir, 'notification-desk.db');
});
afterEach(async () => {
  for (const database of open.splice(0)) await database.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(backupIntervalMs = 0): Promise<DatabaseClient> {
  const database = await startDatabase({ file, emit: () => undefined, backupIntervalMs });
  open.push(database);
  return database;
}

async function stop(database: DatabaseClient): Promise<void> {
  open.splice(open.indexOf(database), 1);
  await database.stop();
}

async function value<T>(pending: Promise<Result<unknown>>): Promise<T> {
  const result = await pending;
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message.en}`);
  return result.value as T;
}

/** A desk that has been used: an agent, clients, one recorded attempt; closed (so backed up at quit). */
async function usedDesk(): Promise<{ code: string; deviceId: string; first: string }> {
  const database = await start();
  await value(database.call('updateSettings', { agentName: 'Awa Diallo' }));
  await value(database.call('seedDemoClients', { count: 5 }));
  const page = await value<ClientPage>(database.call('searchClients', { limit: 1 }));
  const code = page.items[0]!.code;
  const first = await value<AttemptOutcome>(database.call('recordAttempt', { clientCode: code, status: 'failure' }));
  const deviceId = database.deviceId;
  await stop(database);
  return { code, deviceId, first: first.attempt.id };
}

function attemptIds(): string[] {
  const reader = new BetterSqlite3(file, { readonly: true });
  try {
    return (reader.prepare('SELECT id FROM attempts ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  } finally {
    reader.close();
  }
}

describe('backups', () => {
  it('are taken at an interval, kept 5 in rotation, and once more at quit with the last click', { timeout: 90_000 }, async () => {
    const database = await start(60);
    await value(database.call('updateSettings', { agentName: 'Awa Diallo' }));
    await value(database.call('seedDemoClients', { count: 3 }));
    const seen = new Set<string>();
    const until = Date.now() + 60_000;
    // Seven backups taken at least (on a busy machine the 60 ms interval stretches): the oldest went.
    while (seen.size < 7 && Date.now() < until) {
      for (const b of listBackups(backupsDirOf(dir))) seen.add(b.file);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.size).toBeGreaterThanOrEqual(7);
    expect(listBackups(backupsDirOf(dir)).length).toBe(5);
    expect(readdirSync(backupsDirOf(dir)).filter((n) => n.endsWith('.partial'))).toEqual([]);

    const page = await value<ClientPage>(database.call('searchClients', { limit: 1 }));
    const last = await value<AttemptOutcome>(database.call('recordAttempt', { clientCode: page.items[0]!.code, status: 'success' }));
    await stop(database);
    const newest = listBackups(backupsDirOf(dir))[0]!;
    const reader = new BetterSqlite3(newest.file, { readonly: true });
    expect(reader.prepare('SELECT id FROM attempts').all()).toEqual([{ id: last.attempt.id }]);
    reader.close();
  });
});

describe('a bad base at start', () => {
  it('missing in an existing desk: says "Base locale introuvable", refuses work, and restores the latest backup', async () => {
    const { code, first } = await usedDesk();
    rmSync(file);
    const database = await start();
    expect(database.problem()).toMatchObject({ kind: 'missing' });
    const state = await value<StorageState>(database.call('getStorageState', {}));
    expect(state.problem?.message.fr).toMatch(/^Base locale introuvable/);
    expect(state.backups).toHaveLength(1);
    expect(await database.call('recordAttempt', { clientCode: code, status: 'success' })).toMatchObject({
      ok: false,
      error: { code: 'storage.missing' },
    });

    const restored = await value<RecoveryOutcome>(database.call('restoreLatestBackup', {}));
    expect(restored).toMatchObject({ restoredFrom: state.backups[0]!.takenAt, setAside: null, state: { problem: null } });
    expect(await database.call('getClient', { code })).toMatchObject({ ok: true, value: { attemptCount: 1, lastAttemptId: first } });
  });

  it('empty (0 bytes): says "Base locale endommagée"; starting an empty base keeps the file aside and the device id', async () => {
    const { deviceId } = await usedDesk();
    writeFileSync(file, '');
    rmSync(`${file}-wal`, { force: true });
    const database = await start();
    const state = await value<StorageState>(database.call('getStorageState', {}));
    expect(state.problem).toMatchObject({ kind: 'damaged' });
    expect(state.problem?.message.fr).toMatch(/^Base locale endommagée/);

    const fresh = await value<RecoveryOutcome>(database.call('startEmptyBase', {}));
    expect(fresh).toMatchObject({ restoredFrom: null, state: { problem: null } });
    expect(fresh.setAside).toMatch(/^notification-desk\.db\.endommagee-/);
    expect(existsSync(join(dir, fresh.setAside!))).toBe(true);
    expect(await value(database.call('getSettings', {}))).toMatchObject({ deviceId, clientCount: 0 });
  });

  it('damaged (not a database): says so with the cause, and a healthy base is never thrown away', async () => {
    await usedDesk();
    writeFileSync(file, Buffer.alloc(8192, 0x42));
    const database = await start();
    const state = await value<StorageState>(database.call('getStorageState', {}));
    expect(state.problem).toMatchObject({ kind: 'damaged' });
    expect(state.problem?.details).toMatch(/SQLITE_NOTADB|not a database/);
    // Its outbox cannot be read: said, and the file is kept aside for support.
    const restored = await value<RecoveryOutcome>(database.call('restoreLatestBackup', {}));
    expect(restored).toMatchObject({ outboxCarried: 0, outboxUnreadable: true });
    expect(existsSync(join(dir, restored.setAside!))).toBe(true);
    // Once healthy, the page can replace the base no more (the menu's restore is main's).
    expect(await database.call('startEmptyBase', {})).toMatchObject({ ok: false, error: { code: 'storage.notNeeded' } });
    expect(await database.call('restoreLatestBackup', {})).toMatchObject({ ok: false, error: { code: 'storage.notNeeded' } });
  });

  it('from a newer version: says so, naming it, and offers the latest backup made by this version', async () => {
    const { code } = await usedDesk();
    const olderBackup = listBackups(backupsDirOf(dir))[0]!;
    const writer = new BetterSqlite3(file);
    writer.prepare(`INSERT INTO kysely_migration (name, timestamp) VALUES ('0099_future', '2027-01-01T00:00:00.000Z')`).run();
    writer.close();
    // The newer version's own backup is newer still, and is not one this version can restore.
    copyFileSync(file, join(backupsDirOf(dir), 'notification-desk-20991231T235959999Z.db'));
    const database = await start();
    const state = await value<StorageState>(database.call('getStorageState', {}));
    expect(state.problem).toMatchObject({ kind: 'newerVersion', details: '0099_future' });
    expect(state.problem?.message.fr).toMatch(/version plus récente de l’application \(0099_future\)/);
    expect(state.backups.map((b) => b.takenAt)).toEqual([olderBackup.takenAt]);
    const restored = await value<RecoveryOutcome>(database.call('restoreLatestBackup', {}));
    expect(restored.restoredFrom).toBe(olderBackup.takenAt);
    expect(await database.call('getClient', { code })).toMatchObject({ ok: true });
  });

  it('a new desk (no device marker, no backup) starts on a new base without asking', async () => {
    const database = await start();
    expect(database.problem()).toBeNull();
    expect(await value(database.call('getStorageState', {}))).toEqual({ problem: null, backups: [] });
  });
});

describe('a restore', () => {
  it('keeps the unsynced attempts and voids of the base it replaces, with their outbox entries', async () => {
    const { code, first } = await usedDesk();
    const database = await start();
    const later = await value<AttemptOutcome>(database.call('recordAttempt', { clientCode: code, status: 'success', note: 'après la sauvegarde' }));
    await value(database.call('undoAttempt', { attemptId: later.attempt.id }));
    const kept = await value<AttemptOutcome>(database.call('recordAttempt', { clientCode: code, status: 'success' }));
    // The menu's restore, from the backup taken when the desk was last closed.
    const backup = listBackups(backupsDirOf(dir)).at(-1)!;
    const restored = await database.maintain({ action: 'restoreFrom', file: backup.file });
    expect(restored).toMatchObject({ ok: true, value: { outboxCarried: 4, outboxUnreadable: false } });
    expect(restored.ok && (restored.value as RecoveryOutcome).setAside).toMatch(/remplacee/);

    expect(attemptIds()).toEqual([first, later.attempt.id, kept.attempt.id].sort());
    expect(await database.call('getClient', { code })).toMatchObject({
      ok: true,
      value: { status: 'success', attemptCount: 2, lastAttemptId: kept.attempt.id },
    });
    const reader = new BetterSqlite3(file, { readonly: true });
    const outbox = reader.prepare('SELECT kind, record_id FROM outbox ORDER BY seq').all();
    const statuses = recomputedStatuses(reader);
    reader.close();
    expect(outbox).toEqual([
      { kind: 'attempt', record_id: first },
      { kind: 'attempt', record_id: later.attempt.id },
      { kind: 'void', record_id: later.attempt.id },
      { kind: 'attempt', record_id: kept.attempt.id },
    ]);
    expect(statuses.stored).toEqual(statuses.recomputed);
  });
});

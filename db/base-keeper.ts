// The desk's base through its life, in the database worker: the checks at start (missing, empty,
// damaged, from a newer version), the open session (connection, sync host, handlers), backups in
// rotation (periodic and at quit), and the two ways out of a bad base: restore the latest backup, or
// start an empty one; either keeps the replaced file aside and carries its unsynced outbox over.

import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DeskError,
  errorPayload,
  type BackupSummary,
  type DeskHandlers,
  type ImportReport,
  type RecoveryOutcome,
  type StorageProblem,
  type StorageState,
} from '../contract/index.ts';
import { backupsDirOf, inspectBase, latestUsableBackup, listBackups, setAside, takeBackup, type BaseHealth } from './backups.ts';
import { openDatabase, type LocalDatabase } from './connection.ts';
import type { DatabaseStartData } from './database-messages.ts';
import { createDeskHandlers, type EmitEvent, type LocalDesk } from './desk.ts';
import { carryOutbox } from './restore.ts';
import { withStorageErrors } from './storage-errors.ts';
import { diagnoseBase, type DatabaseDiagnosis } from './diagnosis.ts';
import { startSyncHost, type Keychain, type SyncHost } from '../sync/host.ts';
import type { ProxyResolver } from '../sync/proxy.ts';

export interface KeeperOptions {
  file: string;
  sync: DatabaseStartData['sync'];
  keychain: Keychain;
  /** The route to the server through the system's proxy (main's answer, sync/proxy.ts). */
  resolveProxy: ProxyResolver;
  emit: EmitEvent;
  /** Between two automatic backups; 0: none but the one at quit. */
  backupIntervalMs: number;
  backupAtQuit: boolean;
  /** The host shows 'callbackDue' events as system notifications. */
  systemNotices?: boolean;
  /** After a write failed on a full disk. */
  onDiskFull(local: LocalDatabase): void;
}

export interface BaseKeeper {
  /** Every operation of the contract: the domain's while the base is open, the problem's error otherwise. */
  handlers: DeskHandlers;
  deviceId(): string;
  problem(): StorageProblem | null;
  setOnline(online: boolean): void;
  backupTo(file: string): Promise<BackupSummary>;
  restoreFrom(file: string): Promise<RecoveryOutcome>;
  importFile(file: string, importId: string): Promise<ImportReport>;
  diagnose(): Promise<DatabaseDiagnosis>;
  stop(): Promise<void>;
}

interface Session {
  local: LocalDatabase;
  syncHost: SyncHost | null;
  handlers: LocalDesk;
}

/** The device's id, kept next to the base too: a desk that finds its base gone knows it existed. */
export const deviceMarkerName = 'notification-desk.device';
const storageOperations = new Set(['getStorageState', 'restoreLatestBackup', 'startEmptyBase']);

function problemOf(health: Exclude<BaseHealth, { state: 'ok' }>): StorageProblem {
  switch (health.state) {
    case 'missing':
      return { kind: 'missing', message: errorPayload('storage.missing').message, details: 'fichier absent / file missing' };
    case 'empty':
      return { kind: 'damaged', message: errorPayload('storage.damaged').message, details: 'fichier vide (0 octet) / empty file' };
    case 'damaged':
      return { kind: 'damaged', message: errorPayload('storage.damaged').message, details: health.details };
    case 'newer':
      return { kind: 'newerVersion', message: errorPayload('storage.newerVersion', { migration: health.migration }).message, details: health.migration };
  }
}

function problemError(problem: StorageProblem): DeskError {
  if (problem.kind === 'missing') return new DeskError('storage.missing');
  if (problem.kind === 'newerVersion') return new DeskError('storage.newerVersion', { migration: problem.details });
  return new DeskError('storage.damaged');
}

export async function openBaseKeeper(options: KeeperOptions): Promise<BaseKeeper> {
  const { file } = options;
  const dataDir = dirname(file);
  const backupsDir = backupsDirOf(dataDir);
  const marker = join(dataDir, deviceMarkerName);
  let session: Session | null = null;
  let problem: StorageProblem | null = null;
  let stopping = false;
  let lastOnline: boolean | null = null;
  // Restores and backups one at a time; calls made meanwhile wait for the base to be open again.
  let exclusive: Promise<unknown> = Promise.resolve();

  function knownDeviceId(): string | undefined {
    try {
      return readFileSync(marker, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async function openSession(): Promise<Session> {
    const local = await openDatabase(file, { checkpointThread: true, ...(knownDeviceId() ? { deviceId: knownDeviceId() } : {}) });
    if (knownDeviceId() !== local.deviceId) writeFileSync(marker, `${local.deviceId}\n`);
    let syncHost: SyncHost | null = null;
    try {
      if (options.sync) {
        syncHost = await startSyncHost(
          { local, userDataDir: dataDir, emit: options.emit, safeStorage: options.keychain, resolveProxy: options.resolveProxy },
          { timing: options.sync.timing, ...(options.sync.appVersion ? { appVersion: options.sync.appVersion } : {}), allowPlainHttp: options.sync.allowPlainHttp === true },
        );
      }
    } catch (error) {
      await local.close();
      throw error;
    }
    if (syncHost && lastOnline !== null) syncHost.setOnline(lastOnline);
    const handlers = withStorageErrors(createDeskHandlers(local, { emit: options.emit, systemNotices: options.systemNotices ?? false, ...(syncHost ? { sync: syncHost.control } : {}) }), () =>
      options.onDiskFull(local),
    );
    return { local, syncHost, handlers };
  }

  async function closeSession(): Promise<void> {
    const open = session;
    session = null;
    if (!open) return;
    try {
      await open.syncHost?.stop();
    } catch (error) {
      console.error('[database] the sync worker did not stop cleanly', error);
    }
    await open.local.close();
  }

  function state(): StorageState {
    const usable = listBackups(backupsDir).filter((b) => inspectBase(b.file).state === 'ok');
    return { problem, backups: usable.map(({ takenAt, bytes }) => ({ takenAt, bytes })) };
  }

  function withExclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = exclusive.then(work, work);
    exclusive = run.catch(() => undefined);
    return run;
  }

  /** Replaces the base by `source` (a backup) or by a new empty base, carrying the outbox over. */
  function replaceBase(source: { file: string; takenAt: string } | null, why: string): Promise<RecoveryOutcome> {
    return withExclusive(async () => {
      await closeSession();
      const aside = setAside(file, why);
      const asideFile = aside ? join(dataDir, aside) : null;
      try {
        if (source) copyFileSync(source.file, file);
        session = await openSession();
      } catch (error) {
        // Put the replaced base back rather than leave the desk with neither.
        if (asideFile && !existsSync(file)) setAsideBack(asideFile);
        throw error;
      }
      problem = null;
      // The base is replaced by now: a replaced outbox that cannot be carried is said, not thrown.
      const carried = asideFile
        ? await carryOutbox(asideFile, session.local, new Date().toISOString()).catch((error: unknown) => {
            console.error('[database] the replaced base\'s outbox could not be carried over', (error as Error).message);
            return { carried: 0, unreadable: true };
          })
        : { carried: 0, unreadable: false };
      return {
        restoredFrom: source?.takenAt ?? null,
        outboxCarried: carried.carried,
        outboxUnreadable: carried.unreadable,
        setAside: aside,
        state: state(),
      };
    });
  }

  function setAsideBack(asideFile: string): void {
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(`${asideFile}${suffix}`)) copyFileSync(`${asideFile}${suffix}`, `${file}${suffix}`);
    }
  }

  async function backupNow(): Promise<BackupSummary | null> {
    return withExclusive(async () => {
      if (!session) return null;
      const taken = await takeBackup(session.local.sqlite, backupsDir);
      return { takenAt: taken.takenAt, bytes: taken.bytes };
    });
  }

  // At start: an existing desk (a device marker or backups next to the base) that finds its base
  // missing, empty, damaged or from a newer version says so instead of silently starting afresh.
  const health = inspectBase(file);
  const existingDesk = existsSync(marker) || listBackups(backupsDir).length > 0;
  if (health.state === 'ok' || ((health.state === 'missing' || health.state === 'empty') && !existingDesk)) {
    session = await openSession();
  } else {
    problem = problemOf(health);
  }

  const timer = options.backupIntervalMs > 0
    ? setInterval(() => {
        void backupNow().catch((error: unknown) => console.error('[database] the automatic backup failed', (error as Error).message));
      }, options.backupIntervalMs)
    : undefined;
  timer?.unref();

  const storageHandlers: Pick<DeskHandlers, 'getStorageState' | 'restoreLatestBackup' | 'startEmptyBase'> = {
    getStorageState: () => state(),
    restoreLatestBackup: () => {
      // The page may only repair a bad base; replacing a healthy one is the menu's (main's dialogs).
      if (!problem) throw new DeskError('storage.notNeeded');
      const latest = latestUsableBackup(backupsDir);
      if (!latest) throw new DeskError('storage.noBackup');
      return replaceBase(latest, 'endommagee');
    },
    startEmptyBase: () => {
      // A healthy base is never thrown away from the window: this is the way out of a bad one only.
      if (!problem) throw new DeskError('storage.notNeeded');
      return replaceBase(null, 'endommagee');
    },
  };

  const handlers = new Proxy({} as DeskHandlers, {
    get(_target, operation: string) {
      if (storageOperations.has(operation)) return storageHandlers[operation as keyof typeof storageHandlers];
      return async (input: unknown) => {
        await exclusive;
        if (!session) throw problem ? problemError(problem) : new DeskError('database.unavailable', { details: 'base fermée / closed' });
        return (session.handlers[operation as keyof DeskHandlers] as (input: unknown) => unknown)(input);
      };
    },
  });

  return {
    handlers,
    deviceId: () => session?.local.deviceId ?? knownDeviceId() ?? '',
    problem: () => problem,
    setOnline: (online) => {
      lastOnline = online;
      session?.syncHost?.setOnline(online);
    },
    diagnose: async () =>
      withExclusive(async () => {
        if (!session) throw problem ? problemError(problem) : new DeskError('database.unavailable', { details: 'base fermée / closed' });
        return diagnoseBase(session.local.sqlite);
      }),
    backupTo: async (target) =>
      withExclusive(async () => {
        if (!session) throw problem ? problemError(problem) : new DeskError('database.unavailable', { details: 'base fermée / closed' });
        await session.local.sqlite.backup(target);
        return { takenAt: new Date().toISOString(), bytes: statSync(target).size };
      }),
    restoreFrom: async (source) => {
      const health = inspectBase(source);
      if (health.state !== 'ok') throw problemError(problemOf(health.state === 'missing' ? { state: 'damaged', details: 'fichier absent' } : health));
      return replaceBase({ file: source, takenAt: new Date(statSync(source).mtimeMs).toISOString() }, 'remplacee');
    },
    importFile: async (path, importId) => {
      await exclusive;
      if (!session) throw problem ? problemError(problem) : new DeskError('database.unavailable', { details: 'base fermée / closed' });
      return session.handlers.importFile(path, importId);
    },
    stop: async () => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      // The backup at quit: the newest copy is at most one working day old even with no interval.
      if (options.backupAtQuit) await backupNow().catch((error: unknown) => console.error('[database] the backup at quit failed', (error as Error).message));
      await withExclusive(closeSession);
    },
  };
}

// The operations of the contract, implemented on the local database. Main's IPC handlers, the web
// bridge, the benchmark and the tests all call these same functions: there is no second path.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeskError,
  limits,
  type DeskEventName,
  type DeskEvents,
  type DeskHandlers,
  type ImportReport,
  type Settings,
  type SyncSettingsView,
  type SyncState,
} from '../contract/index.ts';
import { backupsDirOf, listBackups } from './backups.ts';
import { cancelCallback, listCallbacks, scheduleCallback } from './callbacks.ts';
import { giveReason, listHistory, recordAttempt, undoAttempt, voidAttempt, type ActingContext } from './attempts.ts';
import { countClients, getClient, searchClients } from './clients.ts';
import { systemClock, type Clock } from './clock.ts';
import type { LocalDatabase } from './connection.ts';
import { seedDemoClients } from './demo.ts';
import { exportHistory } from './export.ts';
import { importClients } from './import.ts';
import { countOutbox, listDeadLetters, retryDeadLetters } from './outbox.ts';
import { nextClient } from './queue.ts';
import { loadReasons } from './reasons.ts';
import { loadSettings, saveSettings } from './settings.ts';
import { agentSession, createProfile, isLocked, lockSession, nameAgent, setLockAfterMinutes, signIn, signOut } from './agent-profiles.ts';
import { deviceSignInRules } from './agent-sign-in.ts';
import { writeTransaction } from './tx.ts';
import { todayCounts } from './stats.ts';
import { createUndoWindow } from './undo-window.ts';

export type EmitEvent = <E extends DeskEventName>(event: E, payload: DeskEvents[E]) => void;

/** What the sync worker's host offers the UI. Without a server the app runs on `localOnlySync`. */
export interface SyncControl {
  state(): Promise<SyncState>;
  syncNow(): Promise<SyncState>;
  settings(): Promise<SyncSettingsView>;
  configure(input: { serverUrl: string | null; token?: string | null | undefined; enrolmentCode?: string | undefined }): Promise<SyncSettingsView>;
  /** Called after the outbox changed (a click, a void, a retry) so that a push can start soon. */
  nudge(): void;
  /**
   * A desk enrolled with a device code: signs an agent in against the server, or, when it cannot be
   * reached, against this desk's offline verifier (db/agent-sign-in.ts); unlocks a locked session.
   */
  signInAgent(input: { login: string; secret: string }, at: Date): Promise<void>;
}

export function localOnlySync(local: LocalDatabase): SyncControl {
  const state = async (): Promise<SyncState> => {
    const { pending, dead } = await countOutbox(local.db);
    return {
      phase: 'disabled',
      serverUrl: null,
      online: false,
      pending,
      deadLetters: dead,
      lastSyncAt: null,
      lastError: null,
      nextAttemptAt: null,
    };
  };
  return {
    state,
    syncNow: async () => {
      throw new DeskError('sync.notConfigured');
    },
    settings: async () => ({ serverUrl: null, hasToken: false, tokenStorage: 'none' }),
    configure: async () => {
      throw new DeskError('sync.notConfigured');
    },
    nudge: () => undefined,
    signInAgent: async () => {
      throw new DeskError('sync.notConfigured');
    },
  };
}

/** An import chunk (2,000 lines) writes about as much as this many clicks. */
const importChunkWeight = 100;

export interface DeskOptions {
  clock?: Clock;
  /**
   * Milliseconds on a clock that never goes back, for the undo window (db/undo-window.ts). Default:
   * performance.now(), or the given clock's time when a test moves one.
   */
  monotonicNow?: () => number;
  /**
   * The host shows 'callbackDue' events as system notifications (the desktop app: Electron's
   * Notification, in main). Default false: the page shows its own, in-page.
   */
  systemNotices?: boolean;
  emit?: EmitEvent;
  sync?: SyncControl;
}

/** The contract's operations, plus what only main may ask (a file path chosen in its dialog). */
export interface LocalDesk extends DeskHandlers {
  /** Imports a clients file read from disk as a stream: no 64 MiB cap, memory flat whatever its size. */
  importFile(path: string, importId: string): Promise<ImportReport>;
}

export function createDeskHandlers(local: LocalDatabase, options: DeskOptions = {}): LocalDesk {
  const { db, deviceId } = local;
  const clock = options.clock ?? systemClock;
  const emit: EmitEvent = options.emit ?? (() => undefined);
  const sync = options.sync ?? localOnlySync(local);
  const undoWindow = createUndoWindow(
    options.monotonicNow ?? (options.clock ? () => clock.now().getTime() : () => performance.now()),
  );

  async function acting(): Promise<ActingContext> {
    const { agent, formerAgentIds } = await loadSettings(db);
    if (!agent) throw new DeskError('agent.notSet');
    // A locked desk records nothing: whoever is at the keyboard now is not known.
    if (await isLocked(db)) throw new DeskError('session.locked');
    return { agent, formerAgentIds, deviceId, clock, undoWindow };
  }

  /** Every id the agent at this workstation has recorded under (see adoptServerAgent). */
  async function agentIds(): Promise<string[]> {
    const { agent, formerAgentIds } = await loadSettings(db);
    return agent ? [agent.id, ...formerAgentIds] : [];
  }

  async function settings(): Promise<Settings> {
    const { agent, locale, singleKeyShortcuts, lastChannel, autoAdvance } = await loadSettings(db);
    return { agent, locale, singleKeyShortcuts, lastChannel, autoAdvance, deviceId, clientCount: await countClients(db), reasons: await loadReasons(db) };
  }

  let signInQueue: Promise<unknown> = Promise.resolve();
  function signingIn(work: () => Promise<void>): Promise<Settings> {
    const next = signInQueue.then(work, work).then(() => {
      local.noteWrite();
      return settings();
    });
    signInQueue = next.catch(() => undefined);
    return next;
  }

  /** After a write: the connection may checkpoint once writes pause (db/checkpoint.ts). */
  async function written<T>(work: Promise<T>): Promise<T> {
    const value = await work;
    local.noteWrite();
    return value;
  }

  /** The size of a file the page asks to import; a folder, a device or a missing file is refused in words. */
  async function importableSize(path: string): Promise<number> {
    if (!isAbsolute(path)) throw new DeskError('import.unreadable', { details: 'chemin relatif / relative path' });
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new DeskError('import.unreadable', { details: error.code ?? 'stat' });
    });
    if (!info.isFile()) throw new DeskError('import.unreadable', { details: 'pas un fichier / not a file' });
    return info.size;
  }

  /** Imports running, by id, so that the agent can stop one (it stops after its current chunk). */
  const imports = new Map<string, AbortController>();

  async function runImport(id: string, source: Readable, bytesTotal: number, unbounded = false): Promise<ImportReport> {
    const control = new AbortController();
    imports.get(id)?.abort();
    imports.set(id, control);
    try {
      return await written(
        importClients(local, source, {
          at: clock.now().toISOString(),
          bytesTotal,
          unbounded,
          signal: control.signal,
          // Each chunk counts towards the next checkpoint, so a long import cannot grow the WAL without bound.
          onChunk: () => local.noteWrite(importChunkWeight),
          onProgress: (p) => emit('importProgress', { importId: id, ...p }),
        }),
      );
    } finally {
      if (imports.get(id) === control) imports.delete(id);
    }
  }

  /** After a write that added to the outbox: the sync worker pushes soon. */
  function queued<T>(value: T): T {
    local.noteWrite();
    sync.nudge();
    return value;
  }

  return {
    getSettings: () => settings(),
    updateSettings: async ({ agentName, lockAfterMinutes, ...rest }) => {
      if (agentName !== undefined) {
        // A server agent's name is the server's (agentState follows a rename there): the same name
        // passes (a settings form sends it back), another is refused.
        if (await deviceSignInRules(db)) {
          if ((await loadSettings(db)).agent?.name !== agentName) throw new DeskError('signIn.serverAgentsOnly');
        } else await writeTransaction(db, (trx) => nameAgent(trx, agentName, clock.now()));
      }
      if (lockAfterMinutes !== undefined) await setLockAfterMinutes(db, lockAfterMinutes);
      await saveSettings(db, rest);
      local.noteWrite();
      return settings();
    },
    getAgentSession: () => agentSession(db),
    // One sign-in at a time: parallel wrong PINs would all pass the throttle's check before any counted.
    // On a desk enrolled with a device code only server agents sign in: a local profile's records
    // could never be pushed (no server token would take them), and its PIN would bypass the server.
    createAgentProfile: (input) =>
      signingIn(async () => {
        if (await deviceSignInRules(db)) throw new DeskError('signIn.serverAgentsOnly');
        await createProfile(db, input, clock.now());
      }),
    signIn: (input) =>
      signingIn(async () => {
        if (await deviceSignInRules(db)) throw new DeskError('signIn.serverAgentsOnly');
        await signIn(db, input, clock.now());
      }),
    signInAgent: (input) => signingIn(async () => sync.signInAgent(input, clock.now())),
    signOut: async () => {
      await signOut(db, clock.now());
      local.noteWrite();
      return settings();
    },
    lockSession: async () => {
      await lockSession(db, clock.now());
      local.noteWrite();
      return agentSession(db);
    },
    searchClients: (input) => searchClients(db, input),
    getClient: ({ code }) => getClient(db, code),
    recordAttempt: async (input) => {
      const outcome = await recordAttempt(local, { deviceId, clock, undoWindow }, input);
      undoWindow.recorded(outcome.attempt.id);
      return queued(outcome);
    },
    giveReason: async (input) => queued(await giveReason(db, await acting(), input, await loadReasons(db))),
    scheduleCallback: async (input) => queued(await scheduleCallback(db, await acting(), input)),
    cancelCallback: async ({ callbackId }) => queued(await cancelCallback(db, await acting(), callbackId)),
    listCallbacks: async () => listCallbacks(db, { clock }, await agentIds()),
    nextClient: async ({ exclude }) => nextClient(db, { agentIds: await agentIds(), now: clock.now(), reasons: await loadReasons(db), exclude }),
    notifyCallback: async ({ callbackId }) => {
      if (!options.systemNotices) return { shown: false };
      const { locale } = await loadSettings(db);
      const list = await listCallbacks(db, { clock }, await agentIds());
      const item = [...list.dueNow, ...list.overdue].find((c) => c.callbackId === callbackId);
      if (!item) return { shown: false };
      // Name and code only: a notification may show on a locked screen, so no note and no phone.
      const title = locale === 'en' ? 'Call-back due' : 'Rappel à faire';
      emit('callbackDue', { title, body: `${item.clientName} (${item.clientCode})` });
      return { shown: true };
    },
    undoAttempt: async ({ attemptId }) => queued(await undoAttempt(db, await acting(), attemptId)),
    voidAttempt: async ({ attemptId, reason }) => queued(await voidAttempt(db, await acting(), attemptId, reason)),
    listHistory: (input) => listHistory(db, input),
    importClients: async ({ content, importId }) => {
      const bytesTotal = Buffer.byteLength(content);
      if (bytesTotal > limits.importBytes) throw new DeskError('import.tooLarge', { size: bytesTotal, max: limits.importBytes });
      // File.text() turns bytes that are not UTF-8 into U+FFFD: refuse the file before its first chunk commits.
      if (content.includes('\uFFFD')) throw new DeskError('import.encoding');
      return runImport(importId ?? 'import', Readable.from([content]), bytesTotal);
    },
    // The size first: a stream opened on a missing file would fail later, unheard, once the call has answered.
    importFile: async (path, importId) => {
      const size = (await stat(path)).size;
      return runImport(importId, createReadStream(path), size, true);
    },
    importClientsFile: async ({ path, importId }) => {
      const size = await importableSize(path);
      return runImport(importId, createReadStream(path), size, true);
    },
    cancelImport: ({ importId }) => {
      const control = imports.get(importId);
      control?.abort();
      return { cancelled: control !== undefined };
    },
    // The file speaks the interface's language: its header, results and channels as the agent reads them.
    exportHistory: async (input) => exportHistory(db, input, clock.now(), (await loadSettings(db)).locale, await loadReasons(db)),
    todayCounts: async () => todayCounts(db, await agentIds(), clock.now()),
    seedDemoClients: async ({ count }) => ({
      inserted: await written(seedDemoClients(db, count, clock.now().toISOString())),
    }),
    getSyncState: () => sync.state(),
    syncNow: () => sync.syncNow(),
    getSyncSettings: () => sync.settings(),
    updateSyncSettings: (input) => sync.configure(input),
    listDeadLetters: () => listDeadLetters(db),
    retryDeadLetters: async () => ({ requeued: await queued(await retryDeadLetters(db)) }),
    // The base is open, so healthy; replacing it is the database worker's (db/base-keeper.ts), which
    // overrides these two: without it (a test, the bench) there is nothing to replace the base with.
    getStorageState: () => ({
      problem: null,
      backups: listBackups(backupsDirOf(dirname(local.file))).map(({ takenAt, bytes }) => ({ takenAt, bytes })),
    }),
    restoreLatestBackup: () => {
      throw new DeskError('database.unavailable', { details: 'restauration hors du service de la base / restore outside the database worker' });
    },
    startEmptyBase: () => {
      throw new DeskError('storage.notNeeded');
    },
  };
}

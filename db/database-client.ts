// The database worker's client, in main (Electron) or in the web bridge's process: starts the
// worker thread (db/database-worker.ts), sends it the contract's operations and hands back their
// Results, relays its events, and restarts it if it dies, telling the window ('databaseState').
// Like Signal Desktop's ts/sql/main.ts: one typed channel; nothing here touches SQLite.

import { Worker } from 'node:worker_threads';
import type { HeapInfo } from 'node:v8';
import {
  errorPayload,
  type BackupSummary,
  type DatabaseState,
  type ImportReport,
  type RecoveryOutcome,
  type StorageProblem,
  type DeskErrorPayload,
  type OperationName,
  type OperationOutput,
  type Result,
} from '../contract/index.ts';
import type { ClientMessage, DatabaseStartData, Maintenance, WorkerMessage } from './database-messages.ts';
import type { DatabaseDiagnosis } from './diagnosis.ts';
import type { EmitEvent } from './desk.ts';
import type { Keychain } from '../sync/host.ts';
import { environmentProxyResolver, type ProxyResolver } from '../sync/proxy.ts';

/** One operation by name with its raw (untrusted) input; the worker validates it with dispatch(). */
export type DeskCall = <K extends OperationName>(operation: K, input: unknown) => Promise<Result<OperationOutput<K>>>;

export interface DatabaseClientOptions {
  file: string;
  /** Where the worker's events go (import progress, sync state) and where databaseState is told. */
  emit: EmitEvent;
  sync?: DatabaseStartData['sync'];
  /** The host shows system notifications for 'callbackDue' events (the desktop app); default false. */
  systemNotices?: boolean;
  /** Electron's safeStorage, for the sync host's token; without one the token is kept plain. */
  keychain?: Keychain;
  /**
   * The route to a URL through the system's proxy, in PAC form (Electron's session.resolveProxy);
   * without one, the environment's HTTPS_PROXY / HTTP_PROXY / NO_PROXY (sync/proxy.ts).
   */
  resolveProxy?: ProxyResolver;
  workerUrl?: URL;
  /** Pause before a restart, doubled after each one in a row. */
  restartDelayMs?: number;
  /** Restarts in a row without a successful start in between before giving up. */
  maxRestarts?: number;
  /** Between two automatic backups (default 30 min; 0: only the one at quit). */
  backupIntervalMs?: number;
  /** Default true; false only for the benchmark's throw-away base. */
  backupAtQuit?: boolean;
}

export const defaultBackupIntervalMs = 30 * 60_000;

export interface DatabaseClient {
  file: string;
  deviceId: string;
  call: DeskCall;
  /** Main's menu: a backup to, or a restore from, a file the agent chose in a dialog. */
  maintain(task: Maintenance): Promise<Result<BackupSummary | RecoveryOutcome | ImportReport | DatabaseDiagnosis>>;
  /** Why the base could not be opened at the last start (the window offers the way out), or null. */
  problem(): StorageProblem | null;
  setOnline(online: boolean): void;
  /** The worker thread's id (changes on a restart), null while none runs. */
  threadId(): number | null;
  /** The database worker's V8 heap (its share of the process's memory, SQLite's own pages aside); null while none runs. */
  heapStatistics(): Promise<HeapInfo | null>;
  /** Ends the worker at once, as a crash would (tests, and a stuck worker at quit). */
  kill(): Promise<void>;
  /** Stops the sync worker, closes the database (WAL checkpointed) and ends the thread. */
  stop(): Promise<void>;
}

/** The database could not be opened at start: `error` names the cause for the agent. */
export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
  readonly error: DeskErrorPayload;
  constructor(error: DeskErrorPayload, details: string) {
    super(`${error.message.fr} (${details})`);
    this.error = error;
  }
}

/** Built: next to main's bundle. From source (tests, the web bridge): the TypeScript entry, run by Node directly. */
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('./database-worker.ts', here) : new URL('./database-worker.js', here);
}

const stopTimeoutMs = 15_000;

/**
 * The database worker's young generation, capped: an import allocates fast (parsed lines, folded
 * text, statement parameters), all of it short-lived, and V8 sized the young generation on this
 * machine's memory, which is what grew the process by ~100 MB during an import (heap total ~200 MB
 * for ~50–110 MB used). 12 MB (4 MB semi-spaces) took the import's peak from 308 to 198 MB at the
 * same CPU per line (docs/PERFORMANCE.md). The old generation keeps V8's default.
 */
const databaseWorkerLimits = { maxYoungGenerationSizeMb: 12 };

interface Pending {
  resolve(result: Result<unknown>): void;
}

export async function startDatabase(options: DatabaseClientOptions): Promise<DatabaseClient> {
  const restartDelayMs = options.restartDelayMs ?? 200;
  const maxRestarts = options.maxRestarts ?? 5;
  const data: DatabaseStartData = {
    file: options.file,
    sync: options.sync ?? false,
    backupIntervalMs: options.backupIntervalMs ?? defaultBackupIntervalMs,
    backupAtQuit: options.backupAtQuit ?? true,
    systemNotices: options.systemNotices ?? false,
  };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let worker: Worker | null = null;
  let ready: Promise<void> = Promise.resolve();
  let deviceId = '';
  let problem: StorageProblem | null = null;
  let stopping = false;
  let restartsInARow = 0;
  let restarts = 0;
  let unavailable: DeskErrorPayload | null = null;
  let stopped: (() => void) | null = null;

  function tell(status: DatabaseState['status'], error: DeskErrorPayload | null): void {
    options.emit('databaseState', { status, restarts, message: error?.message ?? null });
  }

  async function answerMain(w: Worker, message: Extract<WorkerMessage, { type: 'askMain' }>): Promise<void> {
    const chain = options.keychain;
    let reply: ClientMessage;
    try {
      let value: boolean | string | Uint8Array;
      if (message.method === 'resolveProxy') {
        const url = String(message.arg);
        value = await (options.resolveProxy ?? environmentProxyResolver)(url);
      } else if (message.method === 'isEncryptionAvailable') value = chain ? await chain.isEncryptionAvailable() : false;
      else if (!chain) throw new Error('no keychain');
      else if (message.method === 'encryptString') value = new Uint8Array(await chain.encryptString(String(message.arg)));
      else value = await chain.decryptString(Buffer.from(message.arg as Uint8Array));
      reply = { type: 'mainAnswer', id: message.id, ok: true, value };
    } catch (error) {
      reply = { type: 'mainAnswer', id: message.id, ok: false, error: String(error) };
    }
    w.postMessage(reply);
  }

  /** Starts one worker; resolves once its database is open, rejects with the reason it is not. */
  function spawn(): Promise<void> {
    const w = new Worker(options.workerUrl ?? defaultWorkerUrl(), { workerData: data, name: 'desk-database', resourceLimits: databaseWorkerLimits });
    worker = w;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      w.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'ready':
            started = true;
            deviceId = message.deviceId;
            problem = message.problem;
            resolve();
            break;
          case 'startFailed':
            reject(new DatabaseStartError(message.error, message.details));
            void w.terminate();
            break;
          case 'result':
          case 'maintenanceDone':
            pending.get(message.id)?.resolve(message.result);
            pending.delete(message.id);
            break;
          case 'event':
            options.emit(message.event, message.payload as never);
            break;
          case 'askMain':
            void answerMain(w, message);
            break;
          case 'stopped':
            stopped?.();
            break;
        }
      });
      w.on('error', (error) => console.error('[desk] the database worker failed', error));
      w.on('exit', (code) => {
        if (worker === w) worker = null;
        if (!started) {
          reject(new DatabaseStartError(errorPayload('database.unavailable', { details: `exit ${code}` }), `exit ${code}`));
          return;
        }
        // A call in flight may or may not have committed: say so rather than guess.
        for (const call of pending.values()) call.resolve({ ok: false, error: errorPayload('database.restarting') });
        pending.clear();
        if (stopping) {
          stopped?.();
          return;
        }
        restart(code);
      });
    });
  }

  function restart(code: number): void {
    restarts += 1;
    restartsInARow += 1;
    console.error(`[desk] the database worker stopped (code ${code}): restart ${restartsInARow}`);
    if (restartsInARow > maxRestarts) {
      unavailable = errorPayload('database.unavailable', { details: `${restartsInARow - 1} redémarrages / restarts` });
      tell('unavailable', unavailable);
      return;
    }
    tell('restarting', errorPayload('database.restarting'));
    const delay = restartDelayMs * 2 ** (restartsInARow - 1);
    // Calls made meanwhile wait for the new worker instead of failing.
    ready = new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() =>
      spawn().then(
        () => {
          restartsInARow = 0;
          tell('ready', null);
        },
        (error: unknown) => {
          const reason = error instanceof DatabaseStartError ? error.error : errorPayload('database.unavailable', { details: String(error) });
          unavailable = reason;
          tell('unavailable', reason);
        },
      ),
    );
  }

  await spawn();

  /** Posts a request once a worker is ready; its answer comes back by id. */
  async function request<T>(message: (id: number) => ClientMessage): Promise<Result<T>> {
    await ready;
    const w = worker;
    if (unavailable || !w) return { ok: false, error: unavailable ?? errorPayload('database.unavailable', { details: 'arrêtée / stopped' }) };
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, { resolve: resolve as Pending['resolve'] });
      w.postMessage(message(id));
    });
  }

  const call: DeskCall = (operation, input) => request((id) => ({ type: 'call', id, operation, input }));

  return {
    file: options.file,
    get deviceId() {
      return deviceId;
    },
    call,
    maintain: (task) => request((id) => ({ type: 'maintenance', id, task })),
    problem: () => problem,
    setOnline: (online) => worker?.postMessage({ type: 'online', online } satisfies ClientMessage),
    threadId: () => worker?.threadId ?? null,
    heapStatistics: async () => (worker ? worker.getHeapStatistics() : null),
    kill: async () => {
      await worker?.terminate();
    },
    stop: async () => {
      if (stopping) return;
      stopping = true;
      await ready.catch(() => undefined);
      const w = worker;
      if (!w) return;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      w.postMessage({ type: 'stop' } satisfies ClientMessage);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), stopTimeoutMs).unref());
      if ((await Promise.race([done, timeout])) === 'timeout') console.error('[desk] the database worker did not stop in time: terminated');
      await w.terminate();
    },
  };
}

// What the database worker (db/database-worker.ts) and its client in main or the web bridge
// (db/database-client.ts) say to each other: the contract's operations by name with the raw input
// (validated by dispatch() in the worker), their Results, the contract's events, and the few
// things only main may do for the worker (Electron's keychain, the system's proxy for an address).

import type { BackupSummary, DeskErrorPayload, ImportReport, RecoveryOutcome, DeskEventName, DeskEvents, OperationName, OperationOutput, Result, StorageProblem } from '../contract/index.ts';
import type { SchedulerTiming } from '../sync/scheduler.ts';
import type { DatabaseDiagnosis } from './diagnosis.ts';

/** Folder of the automatic backups, in the data folder (db/backups.ts; main's restore dialog opens there). */
export const backupsDirName = 'backups';

export interface DatabaseStartData {
  file: string;
  /** Run the sync worker (the app) or not (the web bridge: the desk works on its own). */
  sync: false | { timing?: Partial<SchedulerTiming> | undefined; appVersion?: string | undefined; allowPlainHttp?: boolean | undefined };
  /** Between two automatic backups (0: only the one at quit). */
  backupIntervalMs: number;
  /** False only for the benchmark, whose throw-away copy of a large base needs none. */
  backupAtQuit: boolean;
  /** The host turns 'callbackDue' events into system notifications (the desktop app). */
  systemNotices?: boolean;
}

/** What only main asks (from its menu and dialogs), never the page: file paths chosen by the agent. */
export type Maintenance =
  | { action: 'backupTo'; file: string }
  | { action: 'restoreFrom'; file: string }
  /** A clients file of any size, streamed from disk (progress and cancelImport as for the page's import). */
  | { action: 'importFile'; file: string; importId: string }
  /** For the diagnostic zip: integrity, schema and counts, no client data (db/diagnosis.ts). */
  | { action: 'diagnose' };

export type KeychainMethod = 'isEncryptionAvailable' | 'encryptString' | 'decryptString';
/** What the worker asks main: the keychain, and the route to a URL through the system's proxy (sync/proxy.ts). */
export type MainQuestion = KeychainMethod | 'resolveProxy';

export type ClientMessage =
  | { type: 'call'; id: number; operation: OperationName; input: unknown }
  | { type: 'online'; online: boolean }
  | { type: 'maintenance'; id: number; task: Maintenance }
  | { type: 'mainAnswer'; id: number; ok: true; value: boolean | string | Uint8Array }
  | { type: 'mainAnswer'; id: number; ok: false; error: string }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready'; deviceId: string; problem: StorageProblem | null }
  | { type: 'startFailed'; error: DeskErrorPayload; details: string }
  | { type: 'result'; id: number; result: Result<OperationOutput<OperationName>> }
  | { type: 'maintenanceDone'; id: number; result: Result<BackupSummary | RecoveryOutcome | ImportReport | DatabaseDiagnosis> }
  | { type: 'event'; event: DeskEventName; payload: DeskEvents[DeskEventName] }
  | { type: 'askMain'; id: number; method: MainQuestion; arg: string | Uint8Array | null }
  | { type: 'stopped' };

// What the database worker (db/database-worker.ts) and its client in main or the web bridge
// (db/database-client.ts) say to each other: the contract's operations by name with the raw input
// (validated by dispatch() in the worker), their Results, the contract's events, and the few
// things only main may do for the worker (Electron's keychain).

import type { DeskErrorPayload, DeskEventName, DeskEvents, OperationName, OperationOutput, Result } from '../contract/index.ts';
import type { SchedulerTiming } from '../sync/scheduler.ts';

export interface DatabaseStartData {
  file: string;
  /** Run the sync worker (the app) or not (the web bridge: the desk works on its own). */
  sync: false | { timing?: Partial<SchedulerTiming> | undefined; appVersion?: string | undefined };
}

export type KeychainMethod = 'isEncryptionAvailable' | 'encryptString' | 'decryptString';

export type ClientMessage =
  | { type: 'call'; id: number; operation: OperationName; input: unknown }
  | { type: 'online'; online: boolean }
  | { type: 'keychainDone'; id: number; ok: true; value: boolean | string | Uint8Array }
  | { type: 'keychainDone'; id: number; ok: false; error: string }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready'; deviceId: string }
  | { type: 'startFailed'; error: DeskErrorPayload; details: string }
  | { type: 'result'; id: number; result: Result<OperationOutput<OperationName>> }
  | { type: 'event'; event: DeskEventName; payload: DeskEvents[DeskEventName] }
  | { type: 'keychain'; id: number; method: KeychainMethod; arg: string | Uint8Array | null }
  | { type: 'stopped' };

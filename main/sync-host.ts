// Host of the sync worker, owned by engineer D2. Until the worker lands, the desk runs local-only:
// every click is recorded and queued in the outbox, and nothing is sent anywhere.

// Loads Electron's global `Electron` namespace for the SafeStorage type below.
import type {} from 'electron';
import type { LocalDatabase } from '../db/connection.ts';
import { localOnlySync, type EmitEvent, type SyncControl } from '../db/desk.ts';

export interface SyncHostContext {
  local: LocalDatabase;
  userDataDir: string;
  emit: EmitEvent;
  safeStorage: Pick<Electron.SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>;
}

export interface SyncHost {
  control: SyncControl;
  stop(): Promise<void>;
}

export async function startSyncHost(ctx: SyncHostContext): Promise<SyncHost> {
  return { control: localOnlySync(ctx.local), stop: async () => {} };
}

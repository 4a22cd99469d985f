// The operation names and their IPC channels, without zod: the sandboxed preload bundles this file
// and must stay small. operations.ts checks at compile time that this list and its schemas agree.

export const operationNameList = [
  'getSettings',
  'updateSettings',
  'searchClients',
  'getClient',
  'recordAttempt',
  'giveReason',
  'undoAttempt',
  'scheduleCallback',
  'cancelCallback',
  'listCallbacks',
  'nextClient',
  'notifyCallback',
  'voidAttempt',
  'listHistory',
  'importClients',
  'importClientsFile',
  'cancelImport',
  'exportHistory',
  'todayCounts',
  'seedDemoClients',
  'getSyncState',
  'syncNow',
  'getSyncSettings',
  'updateSyncSettings',
  'listDeadLetters',
  'retryDeadLetters',
  'getStorageState',
  'restoreLatestBackup',
  'startEmptyBase',
  'getAgentSession',
  'createAgentProfile',
  'signIn',
  'signInAgent',
  'signOut',
  'lockSession',
] as const;

export type ChannelOperationName = (typeof operationNameList)[number];

/** IPC channel of an operation: one namespace, so main can refuse anything else outright. */
export function channelOf(name: ChannelOperationName): string {
  return `desk:${name}`;
}

// The sync state in words, shared by the status bar and the settings dialog.

import type { SyncState } from '../../contract/model.ts';
import { formatRelative } from './format.ts';
import type { Dictionary } from './i18n/fr.ts';

export function syncPhaseText(t: Dictionary, state: SyncState, now: number): string {
  const s = t.statusBar.sync;
  switch (state.phase) {
    case 'disabled':
      return s.disabled;
    case 'offline':
      return s.offline;
    case 'syncing':
      return s.syncing;
    case 'error':
      return s.error(state.lastError ?? '');
    case 'idle':
      return state.lastSyncAt ? s.syncedAgo(formatRelative(t, state.lastSyncAt, now)) : s.neverSynced;
  }
}

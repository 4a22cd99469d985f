// Keyboard shortcuts and Electron's menu accelerators lead to the same actions.

import { knownChannels } from '../../contract/model.ts';
import type { MenuCommand } from '../../contract/events.ts';
import { chooseChannel, focusReason, focusSearch, nextClientNow, recordAttempt, undoLast } from './actions.ts';
import { call } from './desk.ts';
import { currentT } from './i18n/index.ts';
import { runReported } from './report.ts';
import type { ShortcutCommand } from './shortcuts.ts';
import { useFileStore } from './store/file.ts';
import { useSessionStore } from './store/session.ts';
import { useSyncStore } from './store/sync.ts';
import { useToastStore } from './store/toasts.ts';
import { useWorkspaceStore } from './store/workspace.ts';

function record(status: 'success' | 'failure'): void {
  if (!useFileStore.getState().client) {
    useToastStore.getState().push({ kind: 'info', text: currentT().record.noClient });
    return;
  }
  runReported(() => recordAttempt(status));
}

export function runShortcut(command: ShortcutCommand): void {
  switch (command.kind) {
    case 'focusSearch':
      return focusSearch();
    case 'recordSuccess':
      return record('success');
    case 'recordFailure':
      return record('failure');
    case 'channel': {
      const channel = knownChannels[command.index];
      if (channel) chooseChannel(channel);
      return;
    }
    case 'reason':
      return focusReason();
    case 'nextClient':
      return runReported(nextClientNow);
    case 'callbacks':
      return useWorkspaceStore.getState().openDialog({ kind: 'callbacks' });
    case 'undoLast':
      return runReported(undoLast);
    case 'showShortcuts':
      return useWorkspaceStore.getState().openDialog({ kind: 'shortcuts' });
    case 'switchAgent':
      return runReported(() => useSessionStore.getState().signOut());
  }
}

export function runMenuCommand(command: MenuCommand): void {
  // A dialog has the agent's attention; a menu accelerator must not act behind it.
  if (useWorkspaceStore.getState().dialog) return;
  const { openDialog } = useWorkspaceStore.getState();
  switch (command) {
    case 'focusSearch':
      return runShortcut({ kind: 'focusSearch' });
    case 'recordSuccess':
      return runShortcut({ kind: 'recordSuccess' });
    case 'recordFailure':
      return runShortcut({ kind: 'recordFailure' });
    case 'undoLast':
      return runShortcut({ kind: 'undoLast' });
    case 'showShortcuts':
      return openDialog({ kind: 'shortcuts' });
    case 'openSettings':
      return openDialog({ kind: 'settings' });
    case 'exportHistory':
      return openDialog({ kind: 'export' });
    case 'importClients':
      return openDialog({ kind: 'import' });
    case 'syncNow':
      return runReported(async () => useSyncStore.getState().set(await call('syncNow', {})));
    case 'switchAgent':
      return runShortcut({ kind: 'switchAgent' });
    case 'chooseReason':
      return runShortcut({ kind: 'reason' });
    case 'openCallbacks':
      return runShortcut({ kind: 'callbacks' });
    case 'nextClient':
      return runShortcut({ kind: 'nextClient' });
  }
}

// Messages main pushes to the renderer without being asked: progress and background state.

import type { DatabaseState, ImportProgress, SyncState } from './model.ts';

export interface DeskEvents {
  importProgress: ImportProgress;
  syncState: SyncState;
  /** The database process stopped and was restarted (or could not be). */
  databaseState: DatabaseState;
  /** A menu accelerator was used; the renderer runs the same action as the button. */
  menuCommand: MenuCommand;
  /** A call-back fell due: for the desktop host's system notification (main shows it; the page is not sent it). */
  callbackDue: { title: string; body: string };
}

export const menuCommands = [
  'focusSearch',
  'recordSuccess',
  'recordFailure',
  'undoLast',
  'showShortcuts',
  'openSettings',
  'exportHistory',
  'importClients',
  'syncNow',
  'switchAgent',
  'chooseReason',
  'openCallbacks',
  'nextClient',
] as const;
export type MenuCommand = (typeof menuCommands)[number];

export type DeskEventName = keyof DeskEvents;
export const eventNames: DeskEventName[] = ['importProgress', 'syncState', 'databaseState', 'menuCommand'];

export function eventChannelOf(name: DeskEventName): string {
  return `desk-event:${name}`;
}

export type Unsubscribe = () => void;

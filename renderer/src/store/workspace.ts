// What the agent is about to record (channel, note), the open dialog, and the undo window.

import { create } from 'zustand';
import type { Attempt } from '../../../contract/model.ts';
import { defaultChannel } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';

export type Dialog =
  | { kind: 'shortcuts' }
  | { kind: 'settings'; section?: 'sync' }
  | { kind: 'import' }
  | { kind: 'export' }
  | { kind: 'void'; attempt: Attempt };

export interface UndoWindow {
  attemptId: string;
  clientCode: string;
  /** Date.now() after which undo is refused (the server checks too, with its own clock). */
  expiresAt: number;
}

export const undoWindowMs = limits.undoSeconds * 1000;

interface WorkspaceState {
  channel: string;
  note: string;
  dialog: Dialog | null;
  undo: UndoWindow | null;
  busy: boolean;
  setChannel(channel: string): void;
  setNote(note: string): void;
  openDialog(dialog: Dialog): void;
  closeDialog(): void;
  openUndo(window: UndoWindow): void;
  closeUndo(attemptId?: string): void;
  setBusy(busy: boolean): void;
}

let undoTimer: ReturnType<typeof setTimeout> | undefined;

export const useWorkspaceStore = create<WorkspaceState>()((set, get) => ({
  channel: defaultChannel,
  note: '',
  dialog: null,
  undo: null,
  busy: false,
  setChannel: (channel) => set({ channel }),
  setNote: (note) => set({ note }),
  openDialog: (dialog) => set({ dialog }),
  closeDialog: () => set({ dialog: null }),
  openUndo(window) {
    clearTimeout(undoTimer);
    set({ undo: window });
    undoTimer = setTimeout(() => get().closeUndo(window.attemptId), Math.max(0, window.expiresAt - Date.now()));
  },
  closeUndo(attemptId) {
    const current = get().undo;
    if (!current || (attemptId !== undefined && current.attemptId !== attemptId)) return;
    clearTimeout(undoTimer);
    set({ undo: null });
  },
  setBusy: (busy) => set({ busy }),
}));

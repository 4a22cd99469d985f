// What the agent is about to record (channel, note), the open dialog, and the undo window.

import { create } from 'zustand';
import type { Attempt, AttemptStatus } from '../../../contract/model.ts';
import { defaultChannel } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';

export type Dialog =
  | { kind: 'shortcuts' }
  | { kind: 'settings'; section?: 'sync' }
  | { kind: 'import' }
  | { kind: 'export' }
  | { kind: 'void'; attempt: Attempt }
  | { kind: 'callback'; clientCode: string; clientName: string }
  | { kind: 'callbacks' };

export interface UndoWindow {
  attemptId: string;
  clientCode: string;
  /** Who and what, for the words of every message about this undo. */
  clientName: string;
  status: AttemptStatus;
  /** The reason given with it or right after it; null while none was. */
  reason: string | null;
  /** Date.now() after which undo is refused (the server checks too, with its own clock). */
  expiresAt: number;
}

export const undoWindowMs = limits.undoSeconds * 1000;

interface WorkspaceState {
  channel: string;
  note: string;
  /** The reason picked before the click, for the next attempt only. */
  reason: string | null;
  dialog: Dialog | null;
  undo: UndoWindow | null;
  /** The last undo window, once its time ran out: Ctrl+Z then says so instead of nothing. */
  pastUndo: UndoWindow | null;
  busy: boolean;
  setChannel(channel: string): void;
  setNote(note: string): void;
  setReason(reason: string | null): void;
  /** The open undo window's attempt got its reason. */
  reasonGiven(attemptId: string, reason: string): void;
  openDialog(dialog: Dialog): void;
  closeDialog(): void;
  openUndo(window: UndoWindow): void;
  /** The attempt was undone or voided: nothing is left to say about it. */
  closeUndo(attemptId?: string): void;
  setBusy(busy: boolean): void;
}

let undoTimer: ReturnType<typeof setTimeout> | undefined;

export const useWorkspaceStore = create<WorkspaceState>()((set, get) => ({
  channel: defaultChannel,
  note: '',
  reason: null,
  dialog: null,
  undo: null,
  pastUndo: null,
  busy: false,
  setChannel: (channel) => set({ channel }),
  setNote: (note) => set({ note }),
  setReason: (reason) => set({ reason }),
  reasonGiven(attemptId, reason) {
    const { undo } = get();
    if (undo?.attemptId === attemptId) set({ undo: { ...undo, reason } });
  },
  openDialog: (dialog) => set({ dialog }),
  closeDialog: () => set({ dialog: null }),
  openUndo(window) {
    clearTimeout(undoTimer);
    set({ undo: window, pastUndo: null });
    undoTimer = setTimeout(() => {
      if (get().undo?.attemptId === window.attemptId) set({ undo: null, pastUndo: window });
    }, Math.max(0, window.expiresAt - Date.now()));
  },
  closeUndo(attemptId) {
    const { undo, pastUndo } = get();
    const current = undo ?? pastUndo;
    if (!current || (attemptId !== undefined && current.attemptId !== attemptId)) return;
    clearTimeout(undoTimer);
    set({ undo: null, pastUndo: null });
  },
  setBusy: (busy) => set({ busy }),
}));

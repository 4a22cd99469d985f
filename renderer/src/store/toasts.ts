// Short messages at the bottom of the screen: confirmations (polite) and errors (alert).

import { create } from 'zustand';

export interface ToastAction {
  label: string;
  run(): void;
}

export interface Toast {
  id: number;
  kind: 'success' | 'info' | 'error';
  text: string;
  action?: ToastAction;
  /** Errors stay until dismissed: an agent must not miss that something was not saved. */
  timeoutMs: number | null;
}

interface ToastState {
  toasts: Toast[];
  push(toast: Omit<Toast, 'id' | 'timeoutMs'> & { timeoutMs?: number | null }): number;
  dismiss(id: number): void;
}

let nextId = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();
const maxToasts = 4;

export const useToastStore = create<ToastState>()((set, get) => ({
  toasts: [],
  push(toast) {
    const id = nextId++;
    const timeoutMs = toast.timeoutMs === undefined ? (toast.kind === 'error' ? null : 5000) : toast.timeoutMs;
    const entry: Toast = { ...toast, id, timeoutMs };
    const kept = get().toasts.slice(-(maxToasts - 1));
    for (const dropped of get().toasts.filter((t) => !kept.includes(t))) clearTimer(dropped.id);
    set({ toasts: [...kept, entry] });
    if (timeoutMs !== null) timers.set(id, setTimeout(() => get().dismiss(id), timeoutMs));
    return id;
  },
  dismiss(id) {
    clearTimer(id);
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
}));

function clearTimer(id: number): void {
  const timer = timers.get(id);
  if (timer !== undefined) clearTimeout(timer);
  timers.delete(id);
}

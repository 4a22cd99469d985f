// The worklist "À rappeler" as the page knows it, and the watch that says when a call-back falls due:
// a system notification in the desktop app (main shows it), an in-page one in the browser build.

import { create } from 'zustand';
import type { CallbackItem, CallbackList } from '../../../contract/model.ts';
import { call } from '../desk.ts';

interface CallbacksState {
  list: CallbackList | null;
  load(): Promise<CallbackList>;
}

export const useCallbacksStore = create<CallbacksState>()((set) => ({
  list: null,
  async load() {
    const list = await call('listCallbacks', {});
    set({ list });
    return list;
  },
}));

/** Every open call-back of the list, in its groups' order. */
export function allCallbacks(list: CallbackList): CallbackItem[] {
  return [...list.dueNow, ...list.overdue, ...list.laterToday, ...list.later];
}

/** How often the page looks for call-backs falling due: well inside the 15 minutes of "due now". */
export const callbackWatchMs = 30_000;

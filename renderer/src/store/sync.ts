// The sync worker's state as main reports it (pushed by events, read once at start).

import { create } from 'zustand';
import type { SyncState } from '../../../contract/model.ts';
import { call } from '../desk.ts';

interface SyncStoreState {
  state: SyncState | null;
  load(): Promise<void>;
  set(state: SyncState): void;
}

export const useSyncStore = create<SyncStoreState>()((set) => ({
  state: null,
  async load() {
    set({ state: await call('getSyncState', {}) });
  },
  set(state) {
    set({ state });
  },
}));

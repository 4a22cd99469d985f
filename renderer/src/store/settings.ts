// The device's settings: who the agent is, their language, shortcuts, last channel.

import { create } from 'zustand';
import type { OperationInput } from '../../../contract/operations.ts';
import type { Settings } from '../../../contract/model.ts';
import { call } from '../desk.ts';

interface SettingsState {
  settings: Settings | null;
  load(): Promise<Settings>;
  update(changes: OperationInput<'updateSettings'>): Promise<Settings>;
  /** After an import or a demo seed: only the client count moved. */
  setClientCount(count: number): void;
}

export const useSettingsStore = create<SettingsState>()((set, get) => ({
  settings: null,
  async load() {
    const settings = await call('getSettings', {});
    set({ settings });
    return settings;
  },
  async update(changes) {
    const settings = await call('updateSettings', changes);
    set({ settings });
    return settings;
  },
  setClientCount(count) {
    const current = get().settings;
    if (current) set({ settings: { ...current, clientCount: count } });
  },
}));

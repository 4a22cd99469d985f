// Today's figures for the agent, shown in the status bar.

import { create } from 'zustand';
import type { TodayCounts } from '../../../contract/model.ts';
import { call } from '../desk.ts';

interface TodayState {
  counts: TodayCounts | null;
  refresh(): Promise<void>;
}

let asked = 0;

export const useTodayStore = create<TodayState>()((set) => ({
  counts: null,
  async refresh() {
    // Several clicks in a row: only the answer to the latest question is shown.
    const ticket = ++asked;
    const counts = await call('todayCounts', {});
    if (ticket === asked) set({ counts });
  },
}));

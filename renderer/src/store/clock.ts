// "Now" for relative dates, refreshed every 30 s so "il y a 1 min" becomes "il y a 2 min" by itself.

import { create } from 'zustand';

const tickMs = 30_000;

export const useClockStore = create<{ now: number }>()(() => ({ now: Date.now() }));

let timer: ReturnType<typeof setInterval> | undefined;

export function startClock(): () => void {
  if (timer === undefined) timer = setInterval(() => useClockStore.setState({ now: Date.now() }), tickMs);
  return () => {
    clearInterval(timer);
    timer = undefined;
  };
}

export function useNow(): number {
  return useClockStore((s) => s.now);
}

// Locks the session after the idle delay (the policy's or the settings'): any key, click, touch or
// wheel counts as activity. The desk records the lock; the agent's PIN unlocks.

import { useEffect } from 'react';
import { reportError } from './report.ts';
import { useSessionStore } from './store/session.ts';

const activity = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;

export function useIdleLock(): void {
  const minutes = useSessionStore((s) => s.session?.lockAfterMinutes ?? 0);
  useEffect(() => {
    if (minutes <= 0) return;
    const delayMs = minutes * 60_000;
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => useSessionStore.getState().lock().catch(reportError), delayMs);
    };
    arm();
    for (const event of activity) window.addEventListener(event, arm, { capture: true, passive: true });
    return () => {
      clearTimeout(timer);
      for (const event of activity) window.removeEventListener(event, arm, { capture: true });
    };
  }, [minutes]);
}

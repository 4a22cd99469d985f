// The undo window (limits.undoSeconds) measured on a monotonic clock. The attempt's own time is the
// desk's wall clock, which the agent or the OS can set back: with it alone, a clock set back one hour
// let an attempt be undone 30 minutes later. An attempt recorded by this process is timed from the
// monotonic instant of its commit; one recorded before a restart falls back on the wall clock, and
// a wall clock behind the attempt's time proves nothing, so the undo is refused (void it with a reason).

import { limits } from '../contract/index.ts';

export interface UndoWindow {
  /** Called once the attempt is committed. */
  recorded(attemptId: string): void;
  /** Milliseconds since the attempt was recorded, as far as this desk can tell; Infinity when it cannot. */
  elapsedMs(attemptId: string, occurredAt: string, now: Date): number;
}

export function createUndoWindow(monotonicNow: () => number = () => performance.now()): UndoWindow {
  const recordedAt = new Map<string, number>();
  const keepMs = 2 * limits.undoSeconds * 1000;
  return {
    recorded(attemptId) {
      const now = monotonicNow();
      // Only the last few seconds matter: the map stays as small as the agent's last clicks.
      for (const [id, at] of recordedAt) {
        if (now - at <= keepMs) break;
        recordedAt.delete(id);
      }
      recordedAt.set(attemptId, now);
    },
    elapsedMs(attemptId, occurredAt, now) {
      const at = recordedAt.get(attemptId);
      if (at !== undefined) return monotonicNow() - at;
      const wall = now.getTime() - Date.parse(occurredAt);
      return wall < 0 ? Number.POSITIVE_INFINITY : wall;
    },
  };
}

// Whether the agent is in the middle of a call, as main can see it from the calls the page makes.
// Used to keep the updater out of the way (main/updater.ts): no notice and no install then.
//
// "In a call" means either:
//  - an attempt was recorded less than the undo window ago (limits.undoSeconds): the agent may still
//    undo it, give its reason or schedule a call-back, all within the same call; or
//  - a client's file was opened (getClient, nextClient) and no attempt has been recorded for it since,
//    for at most `openCallMaxMs` (10 min): the agent is dialling or talking. A file left open longer
//    is taken as forgotten, so a desk left on a client still gets its update.
// Signing out or locking ends it. Erring towards "busy" only delays a notice or an install.

import { limits } from '../contract/limits.ts';

export interface CallActivity {
  /** Told after each call the page made, with whether it succeeded. */
  observe(operation: string, ok: boolean): void;
  busy(): boolean;
  /** Why the desk is busy (for the log), or null. */
  reason(): string | null;
}

export function createCallActivity(options: { now?: () => number; undoMs?: number; openCallMaxMs?: number } = {}): CallActivity {
  const now = options.now ?? Date.now;
  const undoMs = options.undoMs ?? limits.undoSeconds * 1000;
  const openCallMaxMs = options.openCallMaxMs ?? 10 * 60_000;
  let attemptAt: number | null = null;
  let openedAt: number | null = null;
  const reason = (): string | null => {
    const at = now();
    if (attemptAt !== null && at - attemptAt < undoMs) return 'an attempt is in its undo window';
    if (openedAt !== null && at - openedAt < openCallMaxMs) return 'a client file is open without an attempt recorded';
    return null;
  };
  return {
    observe(operation, ok) {
      if (!ok) return;
      switch (operation) {
        case 'getClient':
        case 'nextClient':
          openedAt = now();
          break;
        case 'recordAttempt':
        case 'giveReason':
        case 'scheduleCallback':
          attemptAt = now();
          openedAt = null;
          break;
        case 'undoAttempt':
          // The outcome is taken back: the agent is back on the same call.
          attemptAt = null;
          openedAt = now();
          break;
        case 'signOut':
        case 'lockSession':
          attemptAt = null;
          openedAt = null;
          break;
        default:
          break;
      }
    },
    busy: () => reason() !== null,
    reason,
  };
}

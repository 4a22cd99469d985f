// One web bridge per data folder, as Electron's single-instance lock gives the app: two processes
// each with a database worker (and a sync worker) on the same base would each believe they own its
// backups, checkpoints and device marker. The lock is a file holding the owner's pid; a lock whose
// process is gone (killed, crashed) is stale and taken over.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const lockFileName = 'notification-desk.lock';

export interface DataLock {
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the folder's lock, or returns who holds it. */
export function acquireDataLock(dataDir: string): DataLock | { heldBy: number } {
  const file = join(dataDir, lockFileName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify({ pid: process.pid, since: new Date().toISOString() })}\n`, { flag: 'wx' });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: number | null = null;
    try {
      holder = Number((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid) || null;
    } catch {
      // Unreadable (cut by a crash while written): stale.
    }
    if (holder !== null && holder !== process.pid && isAlive(holder)) return { heldBy: holder };
    rmSync(file, { force: true });
  }
  throw new Error(`cannot take the lock ${file}`);
}

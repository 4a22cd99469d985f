// SQLite's storage failures, named for the agent. Without this a full disk or a damaged file came
// back as "Erreur interne" (or, from the checkpoint timer, killed the process); now the click that
// could not be written says why, and the transaction it was in is rolled back whole (db/tx.ts).

import { DeskError, type DeskHandlers } from '../contract/index.ts';

/** better-sqlite3's SqliteError carries SQLite's extended result code name, e.g. SQLITE_IOERR_WRITE. */
function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

export function isDiskFull(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === 'SQLITE_FULL' || (code === 'SQLITE_IOERR_WRITE' && /ENOSPC|disk is full/i.test(String(error)));
}

/** The DeskError that names a storage failure, or null when the error is something else. */
export function storageError(error: unknown): DeskError | null {
  const code = sqliteCode(error);
  if (!code) return null;
  if (isDiskFull(error)) return new DeskError('storage.full');
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_')) return new DeskError('storage.damaged');
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY')) {
    return new DeskError('storage.io', { details: code });
  }
  return null;
}

/**
 * The same handlers, with storage failures turned into their DeskError before dispatch() sees them.
 * `onDiskFull` runs after a write failed for want of space (the worker gives the WAL's space back).
 */
export function withStorageErrors<T extends DeskHandlers>(handlers: T, onDiskFull: () => void = () => undefined): T {
  const wrapped: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [operation, handler] of Object.entries(handlers) as [string, (input: unknown) => unknown][]) {
    wrapped[operation] = async (input) => {
      try {
        return await handler(input);
      } catch (error) {
        const named = storageError(error);
        if (named?.code === 'storage.full') onDiskFull();
        throw named ?? error;
      }
    };
  }
  return wrapped as unknown as T;
}

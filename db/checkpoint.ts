// When the WAL is copied back into the database file. SQLite's default does it inside the commit
// that crosses 1,000 pages, so one click in a few hundred paid several milliseconds of extra I/O
// (record_attempt p99 6.4 ms against 1.9 ms without it, docs/PERFORMANCE.md). The UI's connection
// instead checkpoints once writes pause: agents click, then talk to the client for a while.

import type BetterSqlite3 from 'better-sqlite3';

export interface Checkpointer {
  /** Call after each write transaction commits. */
  noteWrite(): void;
  stop(): void;
}

export interface CheckpointerOptions {
  /** Quiet time after the last write before the checkpoint runs. */
  quietMs?: number;
  /** Writes after which it runs anyway, so that a long burst (an import) cannot grow the WAL without bound. */
  maxWrites?: number;
}

export function createIdleCheckpointer(sqlite: BetterSqlite3.Database, options: CheckpointerOptions = {}): Checkpointer {
  const quietMs = options.quietMs ?? 1500;
  const maxWrites = options.maxWrites ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  let writes = 0;

  function checkpoint(): void {
    clearTimeout(timer);
    timer = undefined;
    writes = 0;
    // PASSIVE: copies what it can without waiting for readers or blocking the sync worker's writes.
    if (sqlite.open) sqlite.pragma('wal_checkpoint(PASSIVE)');
  }

  return {
    noteWrite() {
      writes += 1;
      if (writes >= maxWrites) return checkpoint();
      clearTimeout(timer);
      timer = setTimeout(checkpoint, quietMs);
      timer.unref();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

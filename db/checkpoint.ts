// When the WAL is copied back into the database file. SQLite's default does it inside the commit
// that crosses 1,000 pages, so one click in a few hundred paid several milliseconds of extra I/O
// (record_attempt p99 6.4 ms against 1.9 ms without it, docs/PERFORMANCE.md). The UI's connection
// instead checkpoints once writes pause: agents click, then talk to the client for a while.
//
// The window during which an acknowledged click lives only in the WAL is bounded all the same: a
// checkpoint runs at the latest `maxDelayMs` after the first write it has not yet copied, or after
// `maxWrites` writes, even while clicks continue (a deleted WAL lost 15 acknowledged attempts in a
// drill before this bound). A checkpoint that fails (a full disk) is logged and tried again later:
// it never ends the process, and the writes stay safe in the WAL meanwhile.

import type BetterSqlite3 from 'better-sqlite3';

export interface Checkpointer {
  /** Call after each write transaction commits; `weight`: how many clicks' worth it wrote (an import chunk: more). */
  noteWrite(weight?: number): void;
  stop(): void;
}

export interface CheckpointerOptions {
  /** Quiet time after the last write before the checkpoint runs. */
  quietMs?: number;
  /** Writes after which it runs anyway, so that a long burst (an import) cannot grow the WAL without bound. */
  maxWrites?: number;
  /** Longest time a committed write waits for its checkpoint, however busy the desk is. */
  maxDelayMs?: number;
  /** Pause before trying again after a failed checkpoint. */
  retryMs?: number;
  onError?: (error: unknown) => void;
  /**
   * Runs the checkpoint elsewhere (db/checkpoint-thread.ts: its own thread and connection) instead
   * of on this connection; one at a time, a checkpoint due meanwhile runs once it is done.
   */
  runElsewhere?: () => Promise<void>;
}

export const checkpointDefaults = { quietMs: 1500, maxWrites: 1000, maxDelayMs: 10_000, retryMs: 5_000 } as const;

export function createIdleCheckpointer(sqlite: BetterSqlite3.Database, options: CheckpointerOptions = {}): Checkpointer {
  const quietMs = options.quietMs ?? checkpointDefaults.quietMs;
  const maxWrites = options.maxWrites ?? checkpointDefaults.maxWrites;
  const maxDelayMs = options.maxDelayMs ?? checkpointDefaults.maxDelayMs;
  const retryMs = options.retryMs ?? checkpointDefaults.retryMs;
  const onError = options.onError ?? ((error: unknown) => console.error('[database] checkpoint failed; tried again later', error));
  let quiet: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let burst: NodeJS.Immediate | undefined;
  let writes = 0;
  let stopped = false;

  function schedule(timer: NodeJS.Timeout | undefined, ms: number): NodeJS.Timeout {
    clearTimeout(timer);
    const next = setTimeout(checkpoint, ms);
    next.unref();
    return next;
  }

  let running = false;
  let dueMeanwhile = false;

  function failed(error: unknown): void {
    // Not again at the next click: once the retry pause is over.
    writes = 0;
    onError(error);
    deadline = schedule(undefined, retryMs);
  }

  function checkpoint(): void {
    clearTimeout(quiet);
    clearTimeout(deadline);
    clearImmediate(burst);
    quiet = deadline = burst = undefined;
    if (stopped || !sqlite.open) return;
    if (options.runElsewhere) {
      if (running) {
        dueMeanwhile = true;
        return;
      }
      running = true;
      writes = 0;
      options.runElsewhere().then(
        () => {
          running = false;
          if (dueMeanwhile) {
            dueMeanwhile = false;
            checkpoint();
          }
        },
        (error: unknown) => {
          running = false;
          dueMeanwhile = false;
          if (!stopped) failed(error);
        },
      );
      return;
    }
    try {
      // PASSIVE: copies what it can without waiting for readers or blocking the sync worker's writes.
      sqlite.pragma('wal_checkpoint(PASSIVE)');
      writes = 0;
    } catch (error) {
      failed(error);
    }
  }

  return {
    noteWrite(weight = 1) {
      if (stopped) return;
      writes += weight;
      // Right after the write that crossed the bound, not inside it: its answer (a click's) goes out
      // first, and the tens of milliseconds of copying are not that one click's wait.
      if (writes >= maxWrites) {
        burst ??= setImmediate(checkpoint);
        return;
      }
      quiet = schedule(quiet, quietMs);
      deadline ??= schedule(undefined, maxDelayMs);
    },
    stop() {
      stopped = true;
      clearTimeout(quiet);
      clearTimeout(deadline);
      clearImmediate(burst);
      quiet = deadline = burst = undefined;
    },
  };
}

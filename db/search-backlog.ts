// The trigram index's backlog: clients an import wrote without indexing them (migration 0015), brought
// into the index after the import, and between its chunks once the backlog passes a cap. An import
// line cost ~60–115 µs of CPU in the trigram trigger alone, against a budget of 20 µs for 50,000
// lines/s (docs/PERFORMANCE.md); writing the index afterwards moves that work out of the import, not
// off the machine.
//
// The backlog is a table of the base (clients_fts_pending), not a position in memory: what a killed
// desk had not indexed is still listed at the next start, which resumes it. Each batch is one short
// transaction (`batchMs` of inserts, then their commit), so a click waits for one batch at
// most, and the event loop is given back between two batches. A search stays right meanwhile: it
// reads the index for the other clients and scans the backlog's rows by their search text
// (db/clients.ts), which is why the backlog is bounded during an import (`backlogCap`).

import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface SearchBacklog {
  /** Clients written but not yet in the trigram index. */
  size(): number;
  /** Indexes one batch in its own transaction; how many clients it indexed (0: nothing left). */
  indexBatch(): Promise<number>;
  /** Indexes batch after batch, giving the event loop back between two, until at most `rows` are left. */
  drainTo(rows: number): Promise<void>;
  /** Keeps the background indexing from running (an import's chunks are writing); call the release. */
  hold(): () => void;
  /** Starts the background indexing if there is a backlog and nothing holds it. */
  kick(): void;
  /** Resolves once the backlog is empty and the background indexing has stopped (tests, the bench). */
  caughtUp(): Promise<void>;
  /** Stops the background indexing after its batch in progress; the rest waits for the next start. */
  stop(): Promise<void>;
}

export interface SearchBacklogOptions {
  /** Most milliseconds of work per batch: what a click may wait. */
  batchMs?: number;
  /** Most clients per batch. */
  batchRows?: number;
  /** After each committed batch (the connection's checkpointer counts it). */
  onBatch?: () => void;
}

/**
 * Past this many clients not yet indexed, an import indexes between its chunks down to it. A search
 * scans the backlog by its text at ~0.4 µs a row on this machine (100,000 rows: ~40 ms), so this
 * keeps a search during an import within the 50 ms the issue allows a click then.
 */
export const backlogCap = 100_000;
/**
 * Milliseconds of inserts per batch; its COMMIT then flushes them into a new FTS5 segment and does
 * FTS5's merges, which took 3–4× the inserts' time at 15 ms (40 of 100 commits 20–67 ms during the
 * bench's import, the clicks' slowest waits): at 5 ms, click p99 during import_1m --quick 50–53 ms
 * against 63–67 ms, lines/s within the runs' noise (docs/PERFORMANCE.md).
 */
export const defaultBatchMs = 5;
export const defaultBatchRows = 2_000;

export function createSearchBacklog(db: Kysely<Database>, sqlite: BetterSqlite3.Database, options: SearchBacklogOptions = {}): SearchBacklog {
  const batchMs = options.batchMs ?? defaultBatchMs;
  const batchRows = options.batchRows ?? defaultBatchRows;
  const count = sqlite.prepare('SELECT count(*) FROM clients_fts_pending').pluck();
  // Read inside the batch's write transaction, so two connections never index the same rows twice.
  // Rowids as BigInt, bound back as SQLite integers: a JS number is bound as a REAL, and FTS5 ignores
  // a REAL rowid in a constraint (`MATCH ? AND rowid = ?` returned every match in a probe, SQLite 3.54).
  const next = sqlite
    .prepare(
      `SELECT p.client_rowid AS rowid, p.indexed_text AS indexed, c.search_text AS text
       FROM clients_fts_pending p JOIN clients c ON c.rowid = p.client_rowid ORDER BY p.client_rowid LIMIT ?`,
    )
    .safeIntegers(true);
  const forget = sqlite.prepare(`INSERT INTO clients_fts (clients_fts, rowid, search_text) VALUES ('delete', ?, ?)`);
  const index = sqlite.prepare('INSERT INTO clients_fts (rowid, search_text) VALUES (?, ?)');
  const done = sqlite.prepare('DELETE FROM clients_fts_pending WHERE client_rowid = ?');

  let holds = 0;
  let stopped = false;
  let running: Promise<void> | null = null;

  function indexBatch(): Promise<number> {
    return db.connection().execute(async () => {
      if (stopped || !sqlite.open) return 0;
      // As an import chunk: no fsync of its own (a power cut loses at most the last batches, whose
      // rows are still in the backlog, in the same transaction), the connection's level back after.
      const level = sqlite.pragma('synchronous', { simple: true }) as number;
      sqlite.pragma('synchronous = NORMAL');
      try {
        sqlite.exec('BEGIN IMMEDIATE');
        try {
          const started = performance.now();
          const rows = next.all(batchRows) as { rowid: bigint; indexed: string | null; text: string }[];
          let n = 0;
          for (const row of rows) {
            if (n % 16 === 0 && n > 0 && performance.now() - started >= batchMs) break;
            if (row.indexed !== null) forget.run(row.rowid, row.indexed);
            index.run(row.rowid, row.text);
            done.run(row.rowid);
            n++;
          }
          sqlite.exec('COMMIT');
          options.onBatch?.();
          return n;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
          throw error;
        }
      } finally {
        sqlite.pragma(`synchronous = ${level}`);
      }
    });
  }

  async function background(): Promise<void> {
    try {
      while (!stopped && holds === 0 && sqlite.open) {
        if ((await indexBatch()) === 0) break;
        await yieldToEvents();
      }
    } catch (error) {
      // A full disk or a closed base: the backlog stays in the base, for the next start or import.
      console.error('[database] indexing the search backlog stopped; it resumes at the next start or import', (error as Error).message);
    } finally {
      running = null;
    }
  }

  const backlog: SearchBacklog = {
    size: () => Number(count.get()),
    indexBatch,
    drainTo: async (rows) => {
      while (!stopped && sqlite.open && backlog.size() > rows) {
        if ((await indexBatch()) === 0) break;
        await yieldToEvents();
      }
    },
    hold: () => {
      holds++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds--;
        backlog.kick();
      };
    },
    kick: () => {
      if (running || stopped || holds > 0 || !sqlite.open) return;
      if (backlog.size() === 0) return;
      running = background();
    },
    caughtUp: async () => {
      while (running) await running;
      if (!stopped && holds === 0 && backlog.size() > 0) {
        backlog.kick();
        while (running) await running;
      }
    },
    stop: async () => {
      stopped = true;
      while (running) await running;
    },
  };
  return backlog;
}

// Import of a clients file into the local database, in chunks: at most `chunkRows` lines (or
// `chunkMs` of work) per transaction, and the event loop is given back between two chunks, so a
// click or a search waits for one chunk at most, and so does the sync worker's connection on its
// busy timeout. Resumable rather than all-or-nothing: a chunk commits whole or not at all, an
// interrupted import (cancelled, killed, disk full) keeps the chunks already committed, and
// importing the same file again finishes it, since clients are upserted by code (idempotent).
// Clients already known are updated by code; their status and history stay theirs.

import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { DeskError, errorPayload, limits, type ImportRejectedLine, type ImportReport } from '../contract/index.ts';
import { prepareClientUpsert } from './clients.ts';
import type { LocalDatabase } from './connection.ts';
import { parseClientsCsv, type ClientsSource, type ParsedLine } from './csv-clients.ts';

export interface ImportProgressReport {
  linesRead: number;
  bytesRead: number;
  bytesTotal: number;
  linesCommitted: number;
}

export interface ImportOptions {
  /** When the import happens: the clients' updated_at. */
  at: string;
  bytesTotal: number;
  onProgress?: (progress: ImportProgressReport) => void;
  /** Lines between two progress reports. */
  progressEvery?: number;
  /** Most lines per transaction. */
  chunkRows?: number;
  /** Most milliseconds of work per transaction: what a click may have to wait. */
  chunkMs?: number;
  /** A file read from disk by path (main's dialog): not held to the 64 MiB a page may send. */
  unbounded?: boolean;
  /** Stops after the current chunk (which commits); the report says `cancelled`. */
  signal?: AbortSignal;
  /** Called after each committed chunk (the crash drill kills the process there). */
  onChunk?: (linesCommitted: number) => void;
}

/**
 * One chunk's transaction, holding the connection from before BEGIN to after COMMIT. Its commit
 * skips the fsync (WAL + synchronous=NORMAL: never a damaged base; at worst the last chunks lost on
 * a power cut, which importing the same file again restores), then the connection's own level
 * (FULL: a click is on disk when acknowledged) is back before anyone else may use it; the next
 * FULL commit syncs the chunks with it. SQLite refuses a level change inside a transaction.
 */
async function chunkTransaction<T>(local: Pick<LocalDatabase, 'db' | 'sqlite'>, work: () => Promise<T>): Promise<T> {
  const { sqlite } = local;
  return local.db.connection().execute(async () => {
    const level = sqlite.pragma('synchronous', { simple: true }) as number;
    sqlite.pragma('synchronous = NORMAL');
    try {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const result = await work();
        sqlite.exec('COMMIT');
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw error;
      }
    } finally {
      sqlite.pragma(`synchronous = ${level}`);
    }
  });
}

/** The report lists this many rejected lines at most; a wrong file would otherwise list them all. */
export const maxRejectedListed = 1000;
export const defaultChunkRows = 2000;
export const defaultChunkMs = 25;

export async function importClients(
  local: Pick<LocalDatabase, 'db' | 'sqlite'>,
  source: ClientsSource,
  options: ImportOptions,
): Promise<ImportReport> {
  if (!options.unbounded && options.bytesTotal > limits.importBytes) {
    throw new DeskError('import.tooLarge', { size: options.bytesTotal, max: limits.importBytes });
  }
  const every = options.progressEvery ?? 500;
  const chunkRows = options.chunkRows ?? defaultChunkRows;
  const chunkMs = options.chunkMs ?? defaultChunkMs;
  let total = 0;
  let inserted = 0;
  let updated = 0;
  let rejectedCount = 0;
  const rejected: ImportRejectedLine[] = [];
  let linesRead = 0;
  let bytesRead = 0;
  let linesCommitted = 0;
  let nextReport = every;
  const report = () =>
    options.onProgress?.({ linesRead, bytesRead: Math.min(bytesRead, options.bytesTotal), bytesTotal: options.bytesTotal, linesCommitted });

  const upsert = prepareClientUpsert(local.sqlite);
  const lines = parseClientsCsv(source)[Symbol.asyncIterator]();
  // The header is read (and a file that is not a clients file refused) before anything is written.
  let next: IteratorResult<ParsedLine> = await lines.next();
  let cancelled = false;
  while (!next.done) {
    if (options.signal?.aborted) {
      cancelled = true;
      await lines.return?.(undefined);
      break;
    }
    const counts = await chunkTransaction(local, async () => {
      const started = performance.now();
      let rows = 0;
      let chunkInserted = 0;
      let chunkUpdated = 0;
      while (!next.done && rows < chunkRows && (rows % 16 !== 0 || performance.now() - started < chunkMs)) {
        const entry = next.value;
        total++;
        rows++;
        linesRead = entry.linesRead;
        bytesRead = entry.bytesRead;
        if ('client' in entry) {
          if (upsert(entry.client, options.at) === 'inserted') chunkInserted++;
          else chunkUpdated++;
        } else {
          rejectedCount++;
          if (rejected.length < maxRejectedListed) {
            const { code, params } = entry.rejected;
            rejected.push({ line: entry.line, code, message: errorPayload(code, params).message });
          }
        }
        if (total >= nextReport) {
          report();
          nextReport += every;
        }
        next = await lines.next();
      }
      return { chunkInserted, chunkUpdated };
    });
    // Counted once committed: a chunk rolled back (disk full) counts nothing.
    inserted += counts.chunkInserted;
    updated += counts.chunkUpdated;
    linesCommitted = linesRead;
    options.onChunk?.(linesCommitted);
    // Let the clicks and searches queued meanwhile take the connection before the next chunk.
    if (!next.done) await yieldToEvents();
  }
  if (!cancelled) bytesRead = options.bytesTotal;
  report();
  return { total, inserted, updated, rejected, rejectedTruncated: rejectedCount > rejected.length, ...(cancelled ? { cancelled } : {}) };
}

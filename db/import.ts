// Import of a clients file into the local database, in chunks: at most `chunkRows` lines (or
// `chunkMs` of work) per transaction, and the event loop is given back between two chunks, so a
// click or a search waits for one chunk at most, and so does the sync worker's connection on its
// busy timeout. Resumable rather than all-or-nothing: a chunk commits whole or not at all, an
// interrupted import (cancelled, killed, disk full) keeps the chunks already committed, and
// importing the same file again finishes it, since clients are upserted by code (idempotent).
// Clients already known are updated by code; their status and history stay theirs.
// The chunks write clients without their trigram index (migration 0015): it is written after the
// import, and between chunks once the backlog passes its cap (db/search-backlog.ts).

import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { DeskError, errorPayload, limits, type ImportLookalike, type ImportRejectedLine, type ImportReport } from '../contract/index.ts';
import { prepareClientUpsert } from './clients.ts';
import type { LocalDatabase } from './connection.ts';
import { backlogCap } from './search-backlog.ts';
import { parseClientsCsvBatches, type ClientsSource, type ParsedLine, type ReadInfo } from './csv-clients.ts';

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
  /** Clients left unindexed past which the import indexes between its chunks (db/search-backlog.ts). */
  backlogCap?: number;
}

type ImportingDatabase = Pick<LocalDatabase, 'db' | 'sqlite' | 'searchBacklog'>;

/**
 * One chunk's transaction, holding the connection from before BEGIN to after COMMIT. The work is
 * synchronous (the chunk's lines are parsed before it starts), so nothing else waits on a file read
 * inside it. Its commit skips the fsync (WAL + synchronous=NORMAL: never a damaged base; at worst
 * the last chunks lost on a power cut, which importing the same file again restores), then the
 * connection's own level (FULL: a click is on disk when acknowledged) is back before anyone else
 * may use it; the next FULL commit syncs the chunks with it. SQLite refuses a level change inside
 * a transaction. Inside it, the deferral row tells the triggers to list the chunk's clients in the
 * search backlog instead of indexing them; it is gone before COMMIT (or with a rollback), so no
 * other transaction ever defers.
 */
async function chunkTransaction<T>(local: ImportingDatabase, statements: ChunkStatements, work: () => T): Promise<T> {
  const { sqlite } = local;
  return local.db.connection().execute(async () => {
    const level = sqlite.pragma('synchronous', { simple: true }) as number;
    sqlite.pragma('synchronous = NORMAL');
    try {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        statements.defer.run();
        const result = work();
        statements.undefer.run();
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

export interface ChunkStatements {
  defer: BetterSqlite3.Statement<[]>;
  undefer: BetterSqlite3.Statement<[]>;
}

/** The deferral row's two statements (the bench's floor of an import runs its chunks with them too). */
export function prepareChunkStatements(sqlite: LocalDatabase['sqlite']): ChunkStatements {
  return {
    defer: sqlite.prepare<[]>('INSERT INTO clients_fts_deferral (deferring) VALUES (1)'),
    undefer: sqlite.prepare<[]>('DELETE FROM clients_fts_deferral'),
  };
}

/** The report lists this many rejected lines at most; a wrong file would otherwise list them all. */
export const maxRejectedListed = 1000;
/** …and this many look-alike codes (the count says how many more). */
export const maxLookalikesListed = 10;
export const defaultChunkRows = 20_000;
/**
 * 15 ms rather than 25: with the trigram index out of the chunks, a click's p99 during the bench's import was
 * 70–78 ms at 15 ms against 90–102 ms at 25 ms, for the same lines per second (10 ms: 90 ms, and more commits).
 */
export const defaultChunkMs = 15;
/** Lines parsed ahead of the writes. */
export const readAheadLines = 4096;

/**
 * The other code this one equals once leading zeros are stripped, if the base holds one: `100400`
 * against `0000100400`, either way. Uses the partial index on the stripped codes (migration 0012),
 * which holds only codes beginning with a zero.
 */
function prepareLookalikeCheck(sqlite: LocalDatabase['sqlite']): (code: string) => string | undefined {
  const exact = sqlite.prepare('SELECT code FROM clients WHERE code = ?').pluck();
  const padded = sqlite.prepare(`SELECT code FROM clients WHERE code GLOB '0*' AND ltrim(code, '0') = ? AND code <> ? LIMIT 1`).pluck();
  return (code) => {
    const bare = code.replace(/^0+/, '');
    if (bare === '') return undefined; // "000": nothing left to compare
    if (bare !== code) {
      const other = exact.get(bare) as string | undefined;
      if (other !== undefined) return other;
    }
    return padded.get(bare, code) as string | undefined;
  };
}

export async function importClients(
  local: ImportingDatabase,
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
  let lookalikeCount = 0;
  const lookalikes: ImportLookalike[] = [];
  let linesRead = 0;
  let bytesRead = 0;
  let linesCommitted = 0;
  let nextReport = every;
  const report = () =>
    options.onProgress?.({ linesRead, bytesRead: Math.min(bytesRead, options.bytesTotal), bytesTotal: options.bytesTotal, linesCommitted });

  const info: ReadInfo = { encoding: 'utf-8' };
  const chunkStatements = prepareChunkStatements(local.sqlite);
  const cap = options.backlogCap ?? backlogCap;
  const upsert = prepareClientUpsert(local.sqlite);
  const lookalikeOf = prepareLookalikeCheck(local.sqlite);
  const batches = parseClientsCsvBatches(source, info)[Symbol.asyncIterator]();
  // Lines parsed and not yet written, oldest first from `pos`; the file is read ahead by a few
  // thousand lines (more than a 15 ms chunk writes, little memory), so that a chunk's transaction
  // never waits on the disk or the parser.
  const ahead = Math.min(chunkRows, readAheadLines);
  let pending: ParsedLine[] = [];
  let pos = 0;
  let ended = false;
  let readLines = 0;
  let readBytes = 0;
  const readAhead = async () => {
    while (!ended && pending.length - pos < ahead) {
      const next = await batches.next();
      if (next.done) {
        ended = true;
        break;
      }
      if (pos > 0) {
        pending = pending.slice(pos);
        pos = 0;
      }
      for (const entry of next.value.entries) pending.push(entry);
      readLines = next.value.linesRead;
      readBytes = next.value.bytesRead;
    }
  };
  // The header is read (and a file that is not a clients file refused) before anything is written.
  await readAhead();
  let cancelled = false;
  // The background indexing waits while the chunks write; it resumes once the import ends, however it ends.
  const release = local.searchBacklog.hold();
  const backlogAtStart = local.searchBacklog.size();
  try {
    while (pos < pending.length || !ended) {
      if (options.signal?.aborted) {
        cancelled = true;
        await batches.return?.(undefined);
        break;
      }
      const counts = await chunkTransaction(local, chunkStatements, () => {
        const started = performance.now();
        let rows = 0;
        let chunkInserted = 0;
        let chunkUpdated = 0;
        while (pos < pending.length && rows < chunkRows && (rows % 16 !== 0 || performance.now() - started < chunkMs)) {
          const entry = pending[pos++]!;
          total++;
          rows++;
          linesRead = entry.linesRead;
          bytesRead = entry.bytesRead;
          if ('client' in entry) {
            const { code } = entry.client;
            if (upsert(entry.client, options.at) === 'inserted') chunkInserted++;
            else chunkUpdated++;
            const other = lookalikeOf(code);
            if (other !== undefined) {
              lookalikeCount++;
              if (lookalikes.length < maxLookalikesListed) lookalikes.push({ line: entry.line, code, other });
            }
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
        }
        return { chunkInserted, chunkUpdated };
      });
      // Counted once committed: a chunk rolled back (disk full) counts nothing.
      inserted += counts.chunkInserted;
      updated += counts.chunkUpdated;
      if (pos >= pending.length && ended) linesRead = readLines;
      linesCommitted = linesRead;
      options.onChunk?.(linesCommitted);
      // Let the clicks and searches queued meanwhile take the connection before the next chunk.
      if (pos < pending.length || !ended) {
        await yieldToEvents();
        // A search scans the backlog by its text: past the cap, index some before writing more.
        if (backlogAtStart + inserted + updated > cap) await local.searchBacklog.drainTo(cap);
        await readAhead();
      }
    }
  } finally {
    release();
  }
  if (!cancelled) {
    linesRead = Math.max(linesRead, readLines);
    bytesRead = Math.max(readBytes, options.bytesTotal);
  }
  report();
  return {
    total,
    inserted,
    updated,
    rejected,
    rejectedTruncated: rejectedCount > rejected.length,
    encoding: info.encoding,
    ...(lookalikeCount > 0 ? { lookalikes: { count: lookalikeCount, examples: lookalikes } } : {}),
    ...(cancelled ? { cancelled } : {}),
  };
}

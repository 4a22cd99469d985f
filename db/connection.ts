// Opens the local database: PRAGMAs for durability, migrations, and the device's identity.

import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { createIdleCheckpointer } from './checkpoint.ts';
import { startCheckpointThread, type CheckpointThread } from './checkpoint-thread.ts';
import { uuidv7 } from './ids.ts';
import { migrationProvider } from './migrations/index.ts';
import { createSearchBacklog, type SearchBacklog } from './search-backlog.ts';
import { withStatementCache } from './statement-cache.ts';
import type { Database } from './schema.ts';

export interface LocalDatabase {
  db: Kysely<Database>;
  /** The raw handle, for the few things Kysely does not do (backup, integrity_check, pragmas). */
  sqlite: BetterSqlite3.Database;
  deviceId: string;
  file: string;
  /** Tells the connection a write committed (see db/checkpoint.ts); a no-op with checkpoint 'auto'. */
  noteWrite(weight?: number): void;
  /**
   * Clients an import wrote before their trigram index (db/search-backlog.ts). The app's connection
   * resumes indexing them at open (what a killed desk left) and after each import.
   */
  searchBacklog: SearchBacklog;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Milliseconds to wait on a lock held by the sync worker's connection. */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /**
   * 'idle' (default; the app's own connection): no checkpoint inside a commit, one once writes
   * pause. 'auto': SQLite's, inside the commit that fills the WAL (the sync worker's connection,
   * off the UI thread, whose writes come in batches).
   */
  checkpoint?: 'idle' | 'auto';
  /** The device id a new base takes (a desk starting an empty base again keeps its identity). */
  deviceId?: string;
  /**
   * The idle checkpoints run on a thread of their own (db/checkpoint-thread.ts), not on this
   * connection's: the database worker's, where clicks would wait for them.
   */
  checkpointThread?: boolean;
}

export function applyPragmas(sqlite: BetterSqlite3.Database, busyTimeoutMs = 5000): void {
  sqlite.pragma('journal_mode = WAL');
  // FULL: a recorded click is on disk before the agent sees it recorded, even on power loss.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('cache_size = -16000');
  // After a checkpoint, a WAL grown by an import (or kept by a full disk) shrinks back to this size.
  sqlite.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
}

export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`, { cause: error });
  }
}

export async function openDatabase(file: string, options: OpenOptions = {}): Promise<LocalDatabase> {
  const sqlite = new BetterSqlite3(file, { readonly: options.readonly ?? false });
  applyPragmas(sqlite, options.busyTimeoutMs);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  let elsewhere: CheckpointThread | null = null;
  try {
    if (!options.readonly) await migrate(db);
    const deviceId = options.readonly ? readDeviceId(sqlite) : ensureDeviceId(sqlite, options.deviceId);
    let noteWrite: (weight?: number) => void = () => undefined;
    // A batch of the backlog writes about as much as an import chunk: it counts as much towards the next checkpoint.
    const searchBacklog = createSearchBacklog(db, sqlite, { onBatch: () => noteWrite(100) });
    const opened = (extra: { noteWrite: (weight?: number) => void; closeFirst?: () => Promise<void> }): LocalDatabase => ({
      db,
      sqlite,
      deviceId,
      file,
      noteWrite: extra.noteWrite,
      searchBacklog,
      close: async () => {
        await searchBacklog.stop();
        await extra.closeFirst?.();
        await db.destroy(); // the last connection to close checkpoints and removes the WAL
      },
    });
    if (options.readonly || options.checkpoint === 'auto') return opened({ noteWrite });
    sqlite.pragma('wal_autocheckpoint = 0');
    elsewhere = options.checkpointThread ? startCheckpointThread(file) : null;
    const thread = elsewhere;
    const checkpointer = createIdleCheckpointer(sqlite, thread ? { runElsewhere: thread.checkpoint } : {});
    noteWrite = checkpointer.noteWrite;
    // What an import killed before its index caught up left, indexed in the background from now.
    searchBacklog.kick();
    return opened({
      noteWrite,
      closeFirst: async () => {
        checkpointer.stop();
        await thread?.close();
      },
    });
  } catch (error) {
    await elsewhere?.close();
    await db.destroy();
    throw error;
  }
}

function readDeviceId(sqlite: BetterSqlite3.Database): string {
  const row = sqlite.prepare(`SELECT value FROM meta WHERE key = 'device_id'`).get() as { value: string } | undefined;
  if (!row) throw new Error('This database has no device id: open it once read-write first.');
  return row.value;
}

/** The device id is made once, with the database, and never changes: attempts carry it. */
function ensureDeviceId(sqlite: BetterSqlite3.Database, preferred?: string): string {
  sqlite.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?)`).run(preferred ?? uuidv7());
  return readDeviceId(sqlite);
}

// Opens the server's database: an SQLite file (embedded default) or a PostgreSQL URL, migrated on
// open. Several server instances may open one PostgreSQL database: Kysely's migrator takes an
// advisory lock, so concurrent starts migrate once.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { serverMigrations } from './migrations.ts';
import type { ServerSchema } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface ServerDatabase {
  db: Kysely<ServerSchema>;
  dialect: DialectName;
  /** Where it lives, without any password: safe to log. */
  location: string;
  close(): Promise<void>;
}

export interface OpenServerDatabaseOptions {
  /** PostgreSQL connections per process. */
  poolSize?: number;
  migrate?: boolean;
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A URL with its password masked, for logs and error messages. */
export function describeLocation(location: string): string {
  if (!isPostgresUrl(location)) return resolve(location);
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(URL illisible)';
  }
}

export async function migrateServerDatabase(db: Kysely<ServerSchema>): Promise<void> {
  const migrator = new Migrator({ db, provider: serverMigrations });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Server migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`, { cause: error });
  }
}

function openSqlite(file: string): Kysely<ServerSchema> {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: an answered push is on disk, so a device may drop it from its outbox.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  // The admin CLI may write while a server runs on the same file.
  sqlite.pragma('busy_timeout = 10000');
  return new Kysely<ServerSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
}

function openPostgres(url: string, poolSize: number): Kysely<ServerSchema> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A database that does not answer must turn into a 503 quickly, not a hung request.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection dropped by the database must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return new Kysely<ServerSchema>({ dialect: new PostgresDialect({ pool }) });
}

export async function openServerDatabase(location: string, options: OpenServerDatabaseOptions = {}): Promise<ServerDatabase> {
  const dialect: DialectName = isPostgresUrl(location) ? 'postgres' : 'sqlite';
  const db = dialect === 'postgres' ? openPostgres(location, options.poolSize ?? 10) : openSqlite(location);
  try {
    if (options.migrate ?? true) await migrateServerDatabase(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect, location: describeLocation(location), close: () => db.destroy() };
}

/** True when the database answers a query. */
export async function databaseAnswers(db: Kysely<ServerSchema>): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

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
  /** The PostgreSQL pool's connections (null on SQLite): for /metrics. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

export interface OpenServerDatabaseOptions {
  /** PostgreSQL connections per process. */
  poolSize?: number;
  migrate?: boolean;
  /** Told of a PostgreSQL connection lost outside a query (idle, or between two queries of a request). */
  onConnectionError?: (error: Error) => void;
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

/** A database migrated by a newer server: this one must not read, write nor migrate it. */
export class NewerDatabaseError extends Error {
  readonly unknownMigrations: string[];
  constructor(unknownMigrations: string[]) {
    super(
      `Cette base a été migrée par une version plus récente du serveur (migrations inconnues : ${unknownMigrations.join(', ')}) : ` +
        'mettez ce serveur à jour ; la base n’a pas été modifiée. ' +
        `(This database was migrated by a newer server version (unknown migrations: ${unknownMigrations.join(', ')}): update this server; the database was left untouched.)`,
    );
    this.name = 'NewerDatabaseError';
    this.unknownMigrations = unknownMigrations;
  }
}

/** Kysely's own bookkeeping table: one row per migration that ran. */
const migrationTable = 'kysely_migration';

/** Throws NewerDatabaseError when the database ran a migration this version does not know; reads only. */
export async function refuseNewerDatabase(db: Kysely<ServerSchema>): Promise<void> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === migrationTable && !t.isView)) return;
  const rows = await sql<{ name: string }>`SELECT name FROM ${sql.table(migrationTable)}`.execute(db);
  const known = new Set(Object.keys(await serverMigrations.getMigrations()));
  const unknown = rows.rows.map((r) => r.name).filter((name) => !known.has(name)).sort();
  if (unknown.length > 0) throw new NewerDatabaseError(unknown);
}

/** The names of this version's migrations not yet run on the database, in order. */
export async function pendingMigrations(db: Kysely<ServerSchema>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: serverMigrations });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

export async function migrateServerDatabase(db: Kysely<ServerSchema>): Promise<string[]> {
  await refuseNewerDatabase(db);
  const migrator = new Migrator({ db, provider: serverMigrations });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    // A database that cannot be reached is not a failed migration: keep its code so callers can wait for it.
    if (!failed) throw error;
    throw new Error(`Server migration ${failed.migrationName} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
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

function openPostgres(url: string, poolSize: number, onConnectionError: (error: Error) => void): { db: Kysely<ServerSchema>; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Short queries whose cost estimate is high (a LIMIT over an index walk) paid 100 ms of JIT
    // compilation for 15 ms of work (the console's journal at 10 million attempts).
    options: '-c jit=off',
    // A database that does not answer must turn into a 503 quickly, not a hung request.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // A connection the database drops (restart, failover, pg_terminate_backend) emits 'error' on its
  // client; unheard, that event kills the process. The pool listens only to its idle clients (and
  // re-emits their errors on itself, which must be heard too); a client lent to a request has no
  // listener of the pool's, so each client gets its own, which also logs. The request's next query
  // then fails and answers 503, and the pool replaces the dead client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
  });
  return { db: new Kysely<ServerSchema>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/**
 * The database's handle without a query sent: a PostgreSQL pool connects on first use, so this
 * works while the database is down (the server waits for it, see readiness.ts).
 */
export function createServerDatabase(location: string, options: Omit<OpenServerDatabaseOptions, 'migrate'> = {}): ServerDatabase {
  const dialect: DialectName = isPostgresUrl(location) ? 'postgres' : 'sqlite';
  const { db, pool } =
    dialect === 'postgres'
      ? openPostgres(location, options.poolSize ?? 10, options.onConnectionError ?? (() => undefined))
      : { db: openSqlite(location), pool: null };
  let closing: Promise<void> | null = null;
  return {
    db,
    dialect,
    location: describeLocation(location),
    poolStats: () => (pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : null),
    close: () => (closing ??= db.destroy()),
  };
}

/** Opens, refuses a newer database, and migrates (unless migrate: false): for admin commands and tests. */
export async function openServerDatabase(location: string, options: OpenServerDatabaseOptions = {}): Promise<ServerDatabase> {
  const sdb = createServerDatabase(location, options);
  try {
    if (options.migrate ?? true) await migrateServerDatabase(sdb.db);
    else await refuseNewerDatabase(sdb.db);
  } catch (error) {
    await sdb.close();
    throw error;
  }
  return sdb;
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

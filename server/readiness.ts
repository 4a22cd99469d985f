// A server is live as soon as it listens, and ready once its database answers and carries this
// version's schema. Until then /health answers 503 and /v1 requests get 503 with Retry-After, while
// this loop waits for the database with exponential backoff: a server started before its database
// (a reboot, a failover, a container starting before PostgreSQL) comes up by itself.

import type { ServerDatabase } from './storage/database.ts';
import { migrateServerDatabase, pendingMigrations, refuseNewerDatabase } from './storage/database.ts';
import { isDatabaseUnavailable } from './storage/unavailable.ts';

export interface Readiness {
  /** True once the database answered and its schema is this version's. */
  ready: boolean;
}

export interface WaitLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface WaitOptions {
  /** Run this version's migrations (default); false: wait until someone runs `migrate`. */
  migrate: boolean;
  log: WaitLog;
  signal: AbortSignal;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Why the server will not serve this database (unless someone acts): not worth waiting for. */
class PendingMigrations extends Error {
  readonly names: string[];
  constructor(names: string[]) {
    super(`migrations not run yet: ${names.join(', ')} (run the migrate command, or start without --no-migrate)`);
    this.names = names;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Resolves once the database is ready (readiness.ready is then true), or when the signal aborts
 * (shutdown while waiting). Rejects on what waiting cannot fix: a newer database, a failed
 * migration, wrong credentials.
 */
export async function waitForDatabase(sdb: ServerDatabase, readiness: Readiness, options: WaitOptions): Promise<void> {
  const first = options.firstDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  for (let attempt = 1; !options.signal.aborted; attempt++) {
    try {
      if (options.migrate) {
        const ran = await migrateServerDatabase(sdb.db);
        if (ran.length > 0) options.log.info({ migrations: ran }, 'database migrated');
      } else {
        await refuseNewerDatabase(sdb.db);
        const pending = await pendingMigrations(sdb.db);
        if (pending.length > 0) throw new PendingMigrations(pending);
      }
      readiness.ready = true;
      if (attempt > 1) options.log.info({ attempt }, 'database reachable, serving');
      return;
    } catch (error) {
      // A shutdown while migrating closes the pool under the migration: that is not a failure.
      if (options.signal.aborted) return;
      if (!(error instanceof PendingMigrations) && !isDatabaseUnavailable(error)) throw error;
      // Doubling, capped, with a little jitter so that instances restarted together spread out.
      const retryInMs = Math.round(Math.min(max, first * 2 ** (attempt - 1)) * (1 + Math.random() * 0.1));
      options.log.warn(
        { attempt, retryInMs, db: sdb.location, reason: (error as Error).message ?? String(error) },
        error instanceof PendingMigrations ? 'database not migrated yet, retrying' : 'database not reachable yet, retrying',
      );
      await sleep(retryInMs, options.signal);
    }
  }
}

// Rate-limit counters in the server's PostgreSQL database, so that every instance behind a load
// balancer counts against the same limit (in memory, each instance would allow the limit again).
// A store as @fastify/rate-limit expects one (incr, read, child): fixed windows, one upsert per
// counted request. A key known to be over its limit is answered from memory until its window ends,
// so a caller that is already refused costs no query at all.

import { sql, type Kysely } from 'kysely';
import type { ServerSchema } from './storage/schema.ts';

type Callback = (error: Error | null, state?: { current: number; ttl: number }) => void;

/** Expired rows are swept at most this often, per instance. */
const sweepEveryMs = 60_000;
const maxRemembered = 10_000;

interface Known {
  count: number;
  windowEndsMs: number;
}

export interface RateStoreClass {
  new (options: unknown): SharedRateStore;
}

export class SharedRateStore {
  private readonly db: Kysely<ServerSchema>;
  private readonly prefix: string;
  private readonly known: Map<string, Known>;
  private readonly sweep: { lastMs: number };

  constructor(db: Kysely<ServerSchema>, prefix = '', known = new Map<string, Known>(), sweep = { lastMs: 0 }) {
    this.db = db;
    this.prefix = prefix;
    this.known = known;
    this.sweep = sweep;
  }

  private remember(key: string, state: Known): void {
    if (this.known.size >= maxRemembered) this.known.clear();
    this.known.set(key, state);
  }

  /** Known over the limit and still in its window: no need to ask the database. */
  private refusedLocally(key: string, max: number, now: number): Known | null {
    const state = this.known.get(key);
    return state && state.windowEndsMs > now && state.count > max ? state : null;
  }

  incr(rawKey: string, callback: Callback, timeWindow: number, max: number): void {
    const key = this.prefix + rawKey;
    const now = Date.now();
    const refused = this.refusedLocally(key, max, now);
    if (refused) {
      refused.count += 1;
      callback(null, { current: refused.count, ttl: refused.windowEndsMs - now });
      return;
    }
    const ends = now + timeWindow;
    sql<{ count: string; window_ends_ms: string }>`
      INSERT INTO rate_counters (key, count, window_ends_ms) VALUES (${key}, 1, ${ends})
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_counters.window_ends_ms <= ${now} THEN 1 ELSE rate_counters.count + 1 END,
        window_ends_ms = CASE WHEN rate_counters.window_ends_ms <= ${now} THEN ${ends} ELSE rate_counters.window_ends_ms END
      RETURNING count, window_ends_ms`
      .execute(this.db)
      .then((result) => {
        const row = result.rows[0]!;
        const state = { count: Number(row.count), windowEndsMs: Number(row.window_ends_ms) };
        this.remember(key, state);
        callback(null, { current: state.count, ttl: Math.max(0, state.windowEndsMs - now) });
        this.sweepExpired(now);
      }, (error: Error) => callback(error));
  }

  read(rawKey: string, callback: Callback, _timeWindow: number, max: number): void {
    const key = this.prefix + rawKey;
    const now = Date.now();
    const refused = this.refusedLocally(key, max, now);
    if (refused) {
      callback(null, { current: refused.count, ttl: refused.windowEndsMs - now });
      return;
    }
    this.db
      .selectFrom('rate_counters')
      .select(['count', 'window_ends_ms'])
      .where('key', '=', key)
      .executeTakeFirst()
      .then((row) => {
        const ends = row ? Number(row.window_ends_ms) : 0;
        if (!row || ends <= now) return callback(null, { current: 0, ttl: 0 });
        const state = { count: Number(row.count), windowEndsMs: ends };
        this.remember(key, state);
        callback(null, { current: state.count, ttl: ends - now });
      }, (error: Error) => callback(error));
  }

  /** A limiter of its own (its key generator keeps its keys apart), on the same table. */
  child(_options: unknown): SharedRateStore {
    return new SharedRateStore(this.db, this.prefix, new Map(), this.sweep);
  }

  private sweepExpired(now: number): void {
    if (now - this.sweep.lastMs < sweepEveryMs) return;
    this.sweep.lastMs = now;
    // Best effort: a failed sweep is retried a minute later, and expired rows are reset on use anyway.
    this.db.deleteFrom('rate_counters').where('window_ends_ms', '<', now).execute().catch(() => undefined);
  }
}

/** The class @fastify/rate-limit instantiates (`store` option), bound to one database. */
export function sharedRateStore(db: Kysely<ServerSchema>): RateStoreClass {
  return class extends SharedRateStore {
    constructor(_options: unknown) {
      super(db);
    }
  };
}

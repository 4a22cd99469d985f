// When to sync: at start-up, every interval, soon after a click (debounced), on demand, and after
// failures on a backoff schedule with full jitter, probing /health before a full run. A revoked
// token or a protocol mismatch stops automatic runs until someone acts: no hammering.

import { isOneOf, syncNoticeCodes } from '../contract/enums.ts';
import { getServerClock, getSyncNotice } from '../db/sync-meta.ts';
import { countUnknownChanges } from '../db/sync-unknown.ts';
import type { Kysely } from 'kysely';
import type { Locale, SyncState } from '../contract/index.ts';
import { countOutbox } from '../db/outbox.ts';
import type { Database } from '../db/schema.ts';
import { getMeta } from '../db/settings.ts';
import { getLastSyncAt } from '../db/sync-meta.ts';
import { describeFailure } from './failure-text.ts';
import { SyncFailure } from './http.ts';
import { waitingKey } from './engine-keys.ts';

export interface SyncTarget {
  serverUrl: string;
  token: string;
  /** Agents' own tokens from online sign-ins here, by agent id (sync/engine.ts pushes each owner's with theirs). */
  agentTokens?: Record<string, string>;
}

/** The part of SyncEngine the scheduler uses. */
export interface SyncRunner {
  sync(): Promise<unknown>;
  probe(): Promise<void>;
}

export interface SchedulerTiming {
  intervalMs: number;
  debounceMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
}

export const defaultTiming: SchedulerTiming = {
  intervalMs: 30_000,
  debounceMs: 750,
  backoffBaseMs: 1_000,
  backoffCapMs: 5 * 60_000,
};

export interface SchedulerOptions {
  db: Kysely<Database>;
  createRunner(target: SyncTarget, signal: AbortSignal): SyncRunner;
  onState(state: SyncState): void;
  timing?: Partial<SchedulerTiming>;
  now?: () => number;
  random?: () => number;
}

/** "Full jitter": anywhere between nothing and the exponential ceiling, so devices spread out. */
export function backoffDelay(failures: number, timing: Pick<SchedulerTiming, 'backoffBaseMs' | 'backoffCapMs'>, random: () => number): number {
  const ceiling = Math.min(timing.backoffCapMs, timing.backoffBaseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(random() * ceiling);
}

export class SyncScheduler {
  private readonly options: SchedulerOptions;
  private readonly timing: SchedulerTiming;
  private readonly now: () => number;
  private readonly random: () => number;
  private target: SyncTarget | null = null;
  private phase: SyncState['phase'] = 'disabled';
  private online = false;
  private lastError: string | null = null;
  private nextAttemptAt: number | null = null;
  private failures = 0;
  /** A person must act (new token, app update) before automatic runs start again. */
  private blocked = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private abort = new AbortController();

  constructor(options: SchedulerOptions) {
    this.options = options;
    this.timing = { ...defaultTiming, ...options.timing };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  configure(target: SyncTarget | null): void {
    this.target = target;
    this.failures = 0;
    this.blocked = false;
    this.lastError = null;
    this.abort.abort();
    this.abort = new AbortController();
    if (!target) {
      this.clearTimer();
      this.phase = 'disabled';
      this.online = false;
      void this.publish();
      return;
    }
    this.phase = 'idle';
    this.schedule(0);
    void this.publish();
  }

  /** The outbox changed: show the new count now, and push soon unless the server is out of reach. */
  nudge(): void {
    void this.publish();
    if (!this.target || this.stopped || this.blocked || this.failures > 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.nextAttemptAt === null || this.nextAttemptAt - this.now() > this.timing.debounceMs) this.schedule(this.timing.debounceMs);
  }

  /** The OS says whether there is a network at all (Electron's online state). */
  setOnline(online: boolean): void {
    if (!this.target || this.stopped) return;
    if (!online) {
      this.online = false;
      if (this.phase === 'idle') this.phase = 'offline';
      void this.publish();
    } else if (this.failures > 0 && !this.blocked) this.schedule(0);
  }

  /** The agent asked: run now, whatever the schedule, and answer with the outcome. */
  async syncNow(): Promise<SyncState> {
    if (this.target && !this.stopped) {
      this.blocked = false;
      await this.run(true);
    }
    return this.state();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  async state(): Promise<SyncState> {
    const { pending, dead } = await countOutbox(this.options.db);
    return {
      phase: this.phase,
      serverUrl: this.target?.serverUrl ?? null,
      online: this.online,
      pending,
      deadLetters: dead,
      lastSyncAt: await getLastSyncAt(this.options.db),
      lastError: this.lastError,
      nextAttemptAt: this.nextAttemptAt === null ? null : new Date(this.nextAttemptAt).toISOString(),
      unknownRecords: await countUnknownChanges(this.options.db),
      notice: readNotice(await getSyncNotice(this.options.db)),
      waitingFor: readWaiting(this.target ? await getMeta(this.options.db, waitingKey) : null),
      serverClock: await getServerClock(this.options.db),
    };
  }

  private async publish(): Promise<void> {
    if (this.stopped) return;
    try {
      this.options.onState(await this.state());
    } catch (error) {
      // The database is closing or busy for longer than its timeout: the next change republishes.
      console.error('[sync] cannot read the sync state', error);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextAttemptAt = null;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.clearTimer();
    this.nextAttemptAt = this.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run(false);
    }, delayMs);
  }

  private run(manual: boolean): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let first = true;
      do {
        this.again = false;
        await this.once(manual && first);
        first = false;
      } while (this.again && !this.stopped && !this.blocked && this.failures === 0 && this.target);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async once(manual: boolean): Promise<void> {
    const target = this.target;
    if (!target || this.stopped) return;
    this.clearTimer();
    const recovering = this.failures > 0;
    this.phase = 'syncing';
    await this.publish();
    const runner = this.options.createRunner(target, this.abort.signal);
    try {
      // Back from a failure: a cheap unauthenticated look first, so a dead server costs one request.
      if (recovering && !manual) await runner.probe();
      await runner.sync();
      if (this.target !== target) return; // reconfigured meanwhile: that run's state is not ours
      this.failures = 0;
      this.phase = 'idle';
      this.online = true;
      this.lastError = null;
      this.schedule(this.timing.intervalMs);
    } catch (error) {
      if (this.stopped || this.target !== target) return;
      await this.fail(error);
    } finally {
      await this.publish();
    }
  }

  private async fail(error: unknown): Promise<void> {
    const locale: Locale = (await getMeta(this.options.db, 'locale').catch(() => null)) === 'en' ? 'en' : 'fr';
    this.lastError = describeFailure(error, locale);
    if (error instanceof SyncFailure && (error.kind === 'auth' || error.kind === 'protocol')) {
      this.blocked = true;
      this.phase = 'error';
      this.online = true;
      this.clearTimer();
      return;
    }
    this.failures += 1;
    let delay = backoffDelay(this.failures, this.timing, this.random);
    if (error instanceof SyncFailure && error.transient) {
      this.phase = 'offline';
      this.online = error.kind !== 'network';
      if (error.retryAfterMs !== null) delay = Math.max(delay, Math.min(error.retryAfterMs, this.timing.backoffCapMs));
    } else {
      this.phase = 'error';
    }
    this.schedule(delay);
  }
}

function readWaiting(raw: string | null): NonNullable<SyncState['waitingFor']> {
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (w): w is { agentName: string; pending: number } => typeof w === 'object' && w !== null && typeof w.agentName === 'string' && typeof w.pending === 'number',
    );
  } catch {
    return [];
  }
}

function readNotice(stored: { code: string; at: string } | null): SyncState['notice'] {
  return stored && isOneOf(syncNoticeCodes, stored.code) ? { code: stored.code, at: stored.at } : null;
}

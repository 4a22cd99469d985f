// The device side of sync, one run at a time: push the outbox, then pull what changed on the
// server. Pure Node on its own database connection; the worker schedules it, tests drive it.

import type { Kysely } from 'kysely';
import { z } from 'zod';
import { attemptRecordSchema, voidRecordSchema, type AttemptRecord, type Locale, type VoidRecord } from '../contract/index.ts';
import {
  clientRecordSchema,
  protocolVersion,
  pullLimits,
  pushLimits,
  type ClientRecord,
  type PushResponse,
} from '../contract/sync-protocol.ts';
import { systemClock, type Clock } from '../db/clock.ts';
import type { Database } from '../db/schema.ts';
import { getMeta } from '../db/settings.ts';
import { applyPulledPage, type ApplySummary } from '../db/sync-apply.ts';
import { getPullCursor, setLastSyncAt, setPullCursor } from '../db/sync-meta.ts';
import { settleOutbox, takePendingBatch, type OutboxEntry, type Settlement } from '../db/sync-outbox.ts';
import { writeTransaction } from '../db/tx.ts';
import { SyncFailure, SyncHttp } from './http.ts';

/** Points where a test (or a crash drill) can step in; production passes none. */
export interface SyncHooks {
  /** The batch is read from the outbox and about to be sent. */
  beforePush?(batch: readonly OutboxEntry[]): void | Promise<void>;
  /** The server answered the push; the outbox is not updated yet. */
  afterPushAnswer?(answer: PushResponse, batch: readonly OutboxEntry[]): void | Promise<void>;
  /** A pulled page is applied and its cursor saved. */
  afterPullPage?(summary: ApplySummary, cursor: string): void | Promise<void>;
}

export interface SyncEngineOptions {
  /** The engine's own connection to the device's database. */
  db: Kysely<Database>;
  deviceId: string;
  serverUrl: string;
  token: string;
  fetch?: typeof fetch;
  clock?: Clock;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Items per push request; never above the protocol's limit. */
  pushMaxItems?: number;
  /** Changes per pulled page. */
  pullLimit?: number;
  /** Push requests in flight at once (default 3). */
  pushConcurrency?: number;
  hooks?: SyncHooks;
}

export interface PushReport {
  requests: number;
  applied: number;
  duplicate: number;
  rejected: number;
}

export interface PullReport {
  pages: number;
  clients: number;
  attempts: number;
  voids: number;
  parked: number;
}

export interface SyncReport {
  push: PushReport;
  pull: PullReport;
  at: string;
}

// Unknown fields from a newer server are dropped rather than refused: the records stay readable.
const pulledAttempt = z.object(attemptRecordSchema.shape).extend({ receivedAt: z.string() });
const pulledVoid = z.object(voidRecordSchema.shape).extend({ receivedAt: z.string() });
const pullResponseSchema = z.object({
  changes: z.array(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('client'), record: z.object(clientRecordSchema.shape) }),
      z.object({ kind: z.literal('attempt'), record: pulledAttempt }),
      z.object({ kind: z.literal('void'), record: pulledVoid }),
    ]),
  ),
  nextCursor: z.string().regex(/^\d{1,19}$/),
  hasMore: z.boolean(),
  serverTime: z.string(),
});

const pushResponseSchema = z.object({
  results: z.array(
    z.object({
      kind: z.enum(['attempt', 'void']),
      id: z.string(),
      outcome: z.enum(['applied', 'duplicate', 'rejected']),
      error: z.object({ code: z.string(), message: z.object({ fr: z.string(), en: z.string() }) }).optional(),
    }),
  ),
  serverTime: z.string(),
});

export class SyncEngine {
  readonly http: SyncHttp;
  private readonly db: Kysely<Database>;
  private readonly deviceId: string;
  private readonly clock: Clock;
  private readonly hooks: SyncHooks;
  private readonly pushMaxItems: number;
  private readonly pullLimit: number;
  private readonly pushConcurrency: number;

  constructor(options: SyncEngineOptions) {
    this.db = options.db;
    this.deviceId = options.deviceId;
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
    this.pushMaxItems = Math.min(options.pushMaxItems ?? pushLimits.maxItems, pushLimits.maxItems);
    this.pullLimit = Math.min(options.pullLimit ?? pullLimits.maxLimit, pullLimits.maxLimit);
    this.pushConcurrency = Math.max(1, options.pushConcurrency ?? 3);
    this.http = new SyncHttp({
      serverUrl: options.serverUrl,
      token: options.token,
      deviceId: options.deviceId,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
  }

  /** Push, then pull: what this device did reaches the server before it reads what others did. */
  async sync(): Promise<SyncReport> {
    const push = await this.push();
    const pull = await this.pull();
    const at = this.clock.now().toISOString();
    await setLastSyncAt(this.db, at);
    return { push, pull, at };
  }

  /**
   * Sends the whole outbox, oldest first, with a few requests in flight at once (the server's
   * round trip is the cost). A void never overtakes its attempt: a batch carrying a void waits for
   * the batch that carries its attempt. After a failure nothing new is sent; what is in flight
   * finishes, and the rest goes next run.
   */
  async push(): Promise<PushReport> {
    const report: PushReport = { requests: 0, applied: 0, duplicate: 0, rejected: 0 };
    const inFlight = new Map<Promise<void>, Set<string>>();
    let failure = null as { error: unknown } | null;
    let afterSeq = 0;
    while (!failure) {
      const batch = await takePendingBatch(this.db, {
        maxItems: this.pushMaxItems,
        // Room for the request's envelope under the server's limit.
        maxBytes: pushLimits.maxBodyBytes - 4096,
        afterSeq,
      });
      if (batch.length === 0) break;
      afterSeq = batch.at(-1)!.seq;
      const voided = batch.filter((e) => e.kind === 'void').map((e) => e.recordId);
      for (const [request, attempts] of inFlight) if (voided.some((id) => attempts.has(id))) await request;
      while (inFlight.size >= this.pushConcurrency) await Promise.race(inFlight.keys());
      if (failure) break;
      const attempts = new Set(batch.filter((e) => e.kind === 'attempt').map((e) => e.recordId));
      const request: Promise<void> = this.pushBatch(batch, report).then(
        () => void inFlight.delete(request),
        (error: unknown) => {
          inFlight.delete(request);
          failure ??= { error };
        },
      );
      inFlight.set(request, attempts);
    }
    await Promise.all(inFlight.keys());
    if (failure) throw failure.error;
    return report;
  }

  private async pushBatch(batch: OutboxEntry[], report: PushReport): Promise<void> {
    await this.hooks.beforePush?.(batch);
    // The payloads are already the records' JSON: the body is assembled, not re-serialised.
    const body = `{"protocol":${protocolVersion},"deviceId":${JSON.stringify(this.deviceId)},"items":[${batch
      .map((e) => `{"kind":"${e.kind}","record":${e.payload}}`)
      .join(',')}]}`;
    report.requests += 1;
    let raw: unknown;
    try {
      raw = await this.http.request<unknown>('POST', 'v1/push', body);
    } catch (error) {
      // The server refused the request as a whole: halve it until the culprit stands alone, so
      // one bad record goes aside and the rest of the queue still leaves.
      if (error instanceof SyncFailure && (error.status === 422 || error.status === 413)) {
        if (batch.length > 1) {
          const middle = Math.ceil(batch.length / 2);
          await this.pushBatch(batch.slice(0, middle), report);
          await this.pushBatch(batch.slice(middle), report);
          return;
        }
        const reason = error.body ? error.body.message[await this.locale()] : error.message;
        await settleOutbox(this.db, { done: [], dead: [{ seq: batch[0]!.seq, reason }] }, this.clock.now().toISOString());
        report.rejected += 1;
        return;
      }
      throw error;
    }
    const parsed = pushResponseSchema.safeParse(raw);
    if (!parsed.success) throw new SyncFailure('badAnswer', `POST v1/push: réponse inattendue (${parsed.error.issues[0]?.message ?? ''})`);
    const answer = parsed.data as PushResponse;
    await this.hooks.afterPushAnswer?.(answer, batch);

    const outcomes = new Map(answer.results.map((r) => [`${r.kind}:${r.id}`, r]));
    const locale = await this.locale();
    const settlement: Settlement = { done: [], dead: [] };
    for (const entry of batch) {
      const result = outcomes.get(`${entry.kind}:${entry.recordId}`);
      // No word on this entry: it stays queued and goes again next run (the server ignores repeats).
      if (!result) continue;
      if (result.outcome === 'rejected') {
        settlement.dead.push({ seq: entry.seq, reason: result.error?.message[locale] ?? result.error?.code ?? 'rejected' });
        report.rejected += 1;
      } else {
        settlement.done.push(entry.seq);
        if (result.outcome === 'applied') report.applied += 1;
        else report.duplicate += 1;
      }
    }
    await settleOutbox(this.db, settlement, this.clock.now().toISOString());
  }

  /**
   * Reads the server's changes from the saved cursor; each page and its cursor in one transaction.
   * The next page is fetched while this one is applied; it is only ever applied after it.
   */
  async pull(): Promise<PullReport> {
    const report: PullReport = { pages: 0, clients: 0, attempts: 0, voids: 0, parked: 0 };
    let cursor = await getPullCursor(this.db);
    let next = this.fetchPage(cursor);
    for (;;) {
      const answer = await next;
      if (answer.hasMore) {
        if (answer.nextCursor === cursor) {
          throw new SyncFailure('badAnswer', 'GET v1/changes: le curseur n’avance pas alors que la suite est annoncée');
        }
        next = this.fetchPage(answer.nextCursor);
        // Awaited next turn; if this page fails to apply first, the prefetch is dropped quietly.
        next.catch(() => undefined);
      }
      const page = { clients: [] as ClientRecord[], attempts: [] as AttemptRecord[], voids: [] as VoidRecord[] };
      for (const change of answer.changes) {
        if (change.kind === 'client') page.clients.push(change.record);
        else if (change.kind === 'attempt') {
          const { receivedAt: _r, ...record } = change.record;
          page.attempts.push(record);
        } else {
          const { receivedAt: _r, ...record } = change.record;
          page.voids.push(record);
        }
      }
      const at = this.clock.now().toISOString();
      const summary = await writeTransaction(this.db, async (trx) => {
        const applied = await applyPulledPage(trx, page, at);
        await setPullCursor(trx, answer.nextCursor);
        return applied;
      });
      report.pages += 1;
      report.clients += summary.clients;
      report.attempts += summary.attempts;
      report.voids += summary.voids;
      report.parked += summary.parked;
      await this.hooks.afterPullPage?.(summary, answer.nextCursor);
      if (!answer.hasMore) return report;
      cursor = answer.nextCursor;
    }
  }

  private async fetchPage(cursor: string): Promise<z.infer<typeof pullResponseSchema>> {
    const raw = await this.http.request<unknown>('GET', `v1/changes?cursor=${encodeURIComponent(cursor)}&limit=${this.pullLimit}`);
    const parsed = pullResponseSchema.safeParse(raw);
    if (!parsed.success) {
      throw new SyncFailure('badAnswer', `GET v1/changes: réponse inattendue (${parsed.error.issues[0]?.message ?? ''})`);
    }
    return parsed.data;
  }

  /** Is the server there? Unauthenticated and cheap: what the scheduler asks while offline. */
  async probe(): Promise<void> {
    await this.http.request<unknown>('GET', 'health');
  }

  private async locale(): Promise<Locale> {
    return (await getMeta(this.db, 'locale')) === 'en' ? 'en' : 'fr';
  }
}

// The device side of sync, one run at a time: push the outbox, then pull what changed on the
// server. Pure Node on its own database connection; the worker schedules it, tests drive it.

import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  agentStateRecordSchema,
  attemptRecordSchema,
  callbackRecordSchema,
  reasonCodeSchema,
  reasonListSchema,
  voidRecordSchema,
  type AgentStateRecord,
  type Locale,
} from '../contract/index.ts';
import {
  clientRecordSchema,
  knownFeatures,
  protocolVersion,
  pullLimits,
  pushLimits,
  signInRulesSchema,
  type ClientRecord,
  type DeviceReport,
  type ProtocolFeature,
  type PushResponse,
} from '../contract/sync-protocol.ts';
import type { PushRecordKind } from '../contract/enums.ts';
import { systemClock, type Clock } from '../db/clock.ts';
import type { Database } from '../db/schema.ts';
import { saveHandoverMinutes } from '../db/callbacks.ts';
import { saveSiteReasons } from '../db/reasons.ts';
import { getMeta, setMeta } from '../db/settings.ts';
import { applyPulledPage, type ApplySummary, type PulledPage } from '../db/sync-apply.ts';
import { countOutbox, topDeadLetterReasons } from '../db/outbox.ts';
import {
  getPullCursor,
  getServerEpoch,
  setLastSyncAt,
  setPullCursor,
  setServerEpoch,
  setServerFeatures,
  setSyncNotice,
  setServerClock,
} from '../db/sync-meta.ts';
import { requeueOwnRecords, settleOutbox, takePendingBatch, type OutboxEntry, type Settlement } from '../db/sync-outbox.ts';
import { idsOfTokenAgent } from '../db/agent-profiles.ts';
import { applyAgentStates, enrolmentKeys, forgetAgentToken, saveSignInRules } from '../db/agent-sign-in.ts';
import { sql } from 'kysely';
import { waitingKey } from './engine-keys.ts';
import {
  forgetUnknownChanges,
  keepUnknownChanges,
  markUnknownChangesSeenBy,
  takeUnknownChangesFromOtherVersions,
  type UnknownChange,
} from '../db/sync-unknown.ts';
import { writeTransaction } from '../db/tx.ts';
import { SyncFailure, SyncHttp } from './http.ts';
import { declarableChangeKinds } from '../contract/enums.ts';

/** The pulled kinds the cursor was read with (x-desk-kinds). */
const declaredKindsKey = 'sync_declared_kinds';

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
  /** The device's token (device enrolment) or, on a desk enrolled before issue 9, its agent's token. */
  token: string;
  /**
   * The tokens agents got at an online sign-in on this desk, by agent id (unsealed by the host). Each
   * owner's records go with their own token; the engine drops one the server refuses (and its row).
   */
  agentTokens?: Map<string, string> | Record<string, string>;
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
  /** Told to the server with pushes when it accepts device reports; unknown records are kept per version. */
  appVersion?: string;
  /** Site policy: plain http:// to another machine allowed. */
  allowPlainHttp?: boolean;
  hooks?: SyncHooks;
}

/** Used where the host gives no version (tests, tools): records set aside are read again by any real version. */
export const unversioned = '0.0.0-dev';

export interface PushReport {
  requests: number;
  applied: number;
  duplicate: number;
  rejected: number;
  /** Requests per token used, by owner agent id ('device' for the device's own token): who pushed what. */
  byOwner?: Record<string, number>;
  /** Agent ids whose records wait for a sign-in (no token of theirs here). */
  waiting?: string[];
  /** Journal lines (agentEvent) the server took. */
  agentEvents?: number;
}

export interface PullReport {
  pages: number;
  clients: number;
  attempts: number;
  voids: number;
  parked: number;
  /** Changes this version cannot read, kept aside (db/sync-unknown.ts). */
  unknown: number;
  /** Agents the server said are disabled, whose verifier and token this desk forgot. */
  agentsForgotten?: number;
}

export interface ServerReport {
  features: ProtocolFeature[];
  /** The server is not the one the cursor came from (another database, or a restored one). */
  changed: boolean;
  /** Own records queued again because of that. */
  requeued: number;
}

export interface SyncReport {
  server: ServerReport;
  push: PushReport;
  pull: PullReport;
  at: string;
}

// Unknown fields from a newer server are dropped rather than refused: the records stay readable.
// Each change is read on its own: one a newer server sends that this version cannot read (a new
// kind, a new value) is kept aside, never the reason a pull stops (docs/sync-protocol.md).
// A reason this version cannot read (not a code) is dropped, not the attempt with it.
const pulledAttempt = z.object(attemptRecordSchema.shape).extend({ receivedAt: z.string(), reason: reasonCodeSchema.optional().catch(undefined) });
const pulledVoid = z.object(voidRecordSchema.shape).extend({ receivedAt: z.string() });
const pulledCallback = z.object(callbackRecordSchema.shape).extend({ receivedAt: z.string() });
const changeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('client'), record: z.object(clientRecordSchema.shape) }),
  z.object({ kind: z.literal('attempt'), record: pulledAttempt }),
  z.object({ kind: z.literal('void'), record: pulledVoid }),
  z.object({ kind: z.literal('callback'), record: pulledCallback }),
  z.object({ kind: z.literal('agentState'), record: z.object(agentStateRecordSchema.shape) }),
]);
type PulledChange = z.infer<typeof changeSchema>;
const pullResponseSchema = z.object({
  changes: z.array(z.unknown()),
  nextCursor: z.string().regex(/^\d{1,19}$/),
  hasMore: z.boolean(),
  serverTime: z.string(),
  serverEpoch: z.string().min(1).max(100).optional(),
  cursorReset: z.boolean().optional(),
});
const meResponseSchema = z.object({
  /** 'device': a device token (feature 'agent.signIn'); absent or 'agent': an agent's token. */
  kind: z.string().max(20).optional(),
  agentId: z.string().min(1).max(200).optional(),
  signIn: z.unknown().optional(),
  features: z.array(z.unknown()).optional(),
  // Read apart (safeParse below): a site list this version cannot read leaves the defaults, not the sync.
  reasons: z.unknown().optional(),
  callbackHandoverMinutes: z.unknown().optional(),
  serverEpoch: z.string().min(1).max(100).optional(),
  // Read apart (noteServerTime): a missing or odd time never fails the greeting.
  serverTime: z.unknown().optional(),
});

function describeChangeProblem(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'change'}: ${issue.message}`)
    .join('; ');
}

/** Splits a pulled page into what this version reads and what it keeps for a later one. */
function readChanges(raw: readonly unknown[]): { known: PulledChange[]; unknown: UnknownChange[] } {
  const known: PulledChange[] = [];
  const unknown: UnknownChange[] = [];
  for (const item of raw) {
    const parsed = changeSchema.safeParse(item);
    if (parsed.success) known.push(parsed.data);
    else {
      const kind = typeof item === 'object' && item !== null && typeof (item as { kind?: unknown }).kind === 'string' ? (item as { kind: string }).kind : '?';
      unknown.push({ kind, payload: JSON.stringify(item), problem: describeChangeProblem(parsed.error) });
    }
  }
  return { known, unknown };
}

function pageOf(changes: readonly PulledChange[]): PulledPage & { agentStates: AgentStateRecord[] } {
  const page: PulledPage & { agentStates: AgentStateRecord[] } = { clients: [], attempts: [], voids: [], callbacks: [], agentStates: [] };
  for (const change of changes) {
    if (change.kind === 'client') page.clients.push(change.record);
    else if (change.kind === 'agentState') page.agentStates.push(change.record);
    else if (change.kind === 'attempt') {
      const { receivedAt: _r, reason, ...record } = change.record;
      // The reason travels on with the attempt (db/sync-apply.ts keeps it beside it).
      page.attempts.push(reason === undefined ? record : { ...record, reason });
    } else if (change.kind === 'void') {
      const { receivedAt: _r, ...record } = change.record;
      page.voids.push(record);
    } else {
      const { receivedAt: _r, ...record } = change.record;
      page.callbacks!.push(record);
    }
  }
  return page;
}


/** The server refused the token itself (revoked, or its agent disabled), not what it carried. */
function isTokenRefused(error: SyncFailure): boolean {
  return error.kind === 'auth' || (error.status === 403 && (error.body?.code === 'agent.disabled' || error.body?.code === 'auth.revoked'));
}

/** 5xx other than "unavailable": the server failed on what we sent, maybe on one item of it. */
function isServerFault(error: unknown): error is SyncFailure {
  return error instanceof SyncFailure && error.kind === 'server' && error.status !== null && ![502, 503, 504].includes(error.status);
}

/** The connection was cut while the body was going up: a server that refused it (413) and closed. */
function isUploadCut(error: unknown): boolean {
  if (!(error instanceof SyncFailure) || error.kind !== 'network') return false;
  const cause = error.cause as { cause?: { code?: string } } | undefined;
  return /EPIPE|ECONNRESET|UND_ERR_SOCKET|other side closed/i.test(`${error.message} ${cause?.cause?.code ?? ''}`);
}

const pushResponseSchema = z.object({
  results: z.array(
    z.object({
      // A server echoes the kind it was sent, even one it does not know: matched as text.
      kind: z.string(),
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
  private readonly appVersion: string;
  /** Set once a push request of this run was answered: proof the server takes other records. */
  private pushAnswered = false;
  /** The agent of the token, from GET /v1/me: only their records are pushed with it. */
  private tokenAgentId: string | null = null;
  /** GET /v1/me said the token is the device's (nobody's records may ride on it). */
  private deviceToken = false;
  private readonly agentTokens: Map<string, string>;
  private readonly httpOptions: ConstructorParameters<typeof SyncHttp>[0];
  private readonly uploadCuts = new Map<number, number>();

  constructor(options: SyncEngineOptions) {
    this.db = options.db;
    this.deviceId = options.deviceId;
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
    this.pushMaxItems = Math.min(options.pushMaxItems ?? pushLimits.maxItems, pushLimits.maxItems);
    this.pullLimit = Math.min(options.pullLimit ?? pullLimits.maxLimit, pullLimits.maxLimit);
    this.pushConcurrency = Math.max(1, options.pushConcurrency ?? 3);
    this.appVersion = options.appVersion ?? unversioned;
    const tokens = options.agentTokens ?? new Map<string, string>();
    this.agentTokens = tokens instanceof Map ? tokens : new Map(Object.entries(tokens));
    this.httpOptions = {
      serverUrl: options.serverUrl,
      token: options.token,
      deviceId: options.deviceId,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      allowPlainHttp: options.allowPlainHttp === true,
    };
    this.http = new SyncHttp(this.httpOptions);
  }

  /**
   * Who is the server, then push, then pull: what this device did reaches the server before it
   * reads what others did, and nothing is sent that the server has not said it accepts.
   */
  async sync(): Promise<SyncReport> {
    const server = await this.greet();
    const push = await this.push(server.features);
    const pull = await this.pull();
    const at = this.clock.now().toISOString();
    await setLastSyncAt(this.db, at);
    return { server, push, pull, at };
  }

  /** GET /v1/me: the features the server accepts and its epoch. An older server lists neither. */
  async greet(): Promise<ServerReport> {
    const sent = this.clock.now().getTime();
    const raw = await this.http.request<unknown>('GET', 'v1/me');
    const parsed = meResponseSchema.safeParse(raw);
    if (parsed.success) await this.noteServerTime(parsed.data.serverTime, sent);
    if (!parsed.success) throw new SyncFailure('badAnswer', `GET v1/me: réponse inattendue (${parsed.error.issues[0]?.message ?? ''})`);
    const features = knownFeatures(parsed.data.features);
    await setServerFeatures(this.db, features);
    this.deviceToken = parsed.data.kind === 'device';
    this.tokenAgentId = this.deviceToken ? null : (parsed.data.agentId ?? null);
    if (features.includes('agent.signIn')) {
      // The site may change its rules (secret kind, offline days): the desk follows at each greeting.
      const rules = signInRulesSchema.safeParse(parsed.data.signIn);
      if (rules.success) await saveSignInRules(this.db, rules.data);
      if (this.deviceToken) await setMeta(this.db, { [enrolmentKeys.kind]: 'device' });
    }
    if (features.includes('site.reasons')) {
      const list = reasonListSchema.safeParse(parsed.data.reasons);
      // None sent: the site uses the defaults. One this version cannot read: the defaults too.
      await saveSiteReasons(this.db, list.success ? list.data : null);
    }
    if (features.includes('record.callback')) {
      const minutes = parsed.data.callbackHandoverMinutes;
      await saveHandoverMinutes(this.db, typeof minutes === 'number' && Number.isInteger(minutes) && minutes > 0 && minutes <= 7 * 24 * 60 ? minutes : null);
    }
    const { changed, requeued } = parsed.data.serverEpoch ? await this.noticeEpoch(parsed.data.serverEpoch) : { changed: false, requeued: 0 };
    return { features, changed, requeued };
  }

  /**
   * How far the desk's clock is from the server's: the server's time against the middle of the
   * request's round trip on the desk's clock (the error is at most half the round trip, far below
   * the minutes that matter). Kept for the window's warning; nothing is re-timed by it.
   */
  private async noteServerTime(serverTime: unknown, sentAtMs: number): Promise<void> {
    const server = typeof serverTime === 'string' ? Date.parse(serverTime) : Number.NaN;
    if (!Number.isFinite(server)) return;
    const now = this.clock.now();
    const offsetMs = Math.round((sentAtMs + now.getTime()) / 2 - server);
    await setServerClock(this.db, { offsetMs, at: now.toISOString() });
  }

  /**
   * A server database other than the one the cursor came from: read everything again from zero and
   * send again what this device made (records are ids: the server and this device ignore repeats).
   */
  private async noticeEpoch(epoch: string): Promise<{ changed: boolean; requeued: number }> {
    const stored = await getServerEpoch(this.db);
    if (stored === epoch) return { changed: false, requeued: 0 };
    const at = this.clock.now().toISOString();
    return writeTransaction(this.db, async (trx) => {
      await setServerEpoch(trx, epoch);
      // First answer from an epoch-aware server: nothing to compare with yet.
      if (stored === null) return { changed: false, requeued: 0 };
      await setPullCursor(trx, '0');
      const requeued = await requeueOwnRecords(trx, this.deviceId, at);
      await setSyncNotice(trx, { code: 'server.changed', at });
      return { changed: true, requeued };
    });
  }

  private async deviceReport(): Promise<DeviceReport> {
    const { pending, dead } = await countOutbox(this.db);
    return {
      appVersion: this.appVersion.slice(0, 40),
      outboxPending: pending,
      deadLetters: dead,
      deadLetterReasons: await topDeadLetterReasons(this.db, 5),
    };
  }

  /**
   * Sends the whole outbox, oldest first, with a few requests in flight at once (the server's
   * round trip is the cost). A void never overtakes its attempt: a batch carrying a void waits for
   * the batch that carries its attempt. After a failure nothing new is sent; what is in flight
   * finishes, and the rest goes next run.
   */
  async push(features: readonly ProtocolFeature[] = []): Promise<PushReport> {
    const report: PushReport = { requests: 0, applied: 0, duplicate: 0, rejected: 0, byOwner: {}, waiting: [], agentEvents: 0 };
    const kinds: PushRecordKind[] = [
      'attempt',
      'void',
      ...(features.includes('attempt.reason') ? (['reason'] as const) : []),
      ...(features.includes('record.callback') ? (['callback'] as const) : []),
    ];
    // Said once per run, with the first request only: the server keeps the latest.
    const device = { report: features.includes('push.deviceReport') ? JSON.stringify(await this.deviceReport()) : null };
    const owners = await this.pendingOwners(kinds);
    // Which token carries whose records: a signed-in agent's own token first (issue 9), else, on a
    // desk enrolled with an agent's token, that token for its agent and the ids they had before.
    const groups = new Map<string, { token: string; agentIds: Set<string>; fromSignIn: boolean }>();
    for (const [agentId, token] of [...this.agentTokens]) {
      groups.set(agentId, { token, agentIds: new Set(await idsOfTokenAgent(this.db, agentId)), fromSignIn: true });
    }
    if (this.tokenAgentId && !groups.has(this.tokenAgentId)) {
      groups.set(this.tokenAgentId, { token: this.httpOptions.token!, agentIds: new Set(await idsOfTokenAgent(this.db, this.tokenAgentId)), fromSignIn: false });
    }
    const waiting = new Set(owners);
    for (const group of groups.values()) for (const id of group.agentIds) waiting.delete(id);
    let failure: unknown = null;
    for (const [ownerId, group] of groups) {
      const ids = [...group.agentIds].filter((id) => owners.includes(id));
      if (ids.length === 0) continue;
      const http = group.token === this.httpOptions.token ? this.http : new SyncHttp({ ...this.httpOptions, token: group.token });
      const before = report.requests;
      try {
        await this.pushOwner(http, ids, kinds, report, device);
      } catch (error) {
        if (group.fromSignIn && error instanceof SyncFailure && isTokenRefused(error)) {
          // Revoked, or the agent disabled: theirs wait for a new sign-in; the others still go.
          this.agentTokens.delete(ownerId);
          await forgetAgentToken(this.db, ownerId);
          for (const id of ids) waiting.add(id);
        } else failure ??= error;
      }
      report.byOwner![ownerId] = (report.byOwner![ownerId] ?? 0) + report.requests - before;
      if (failure) break;
    }
    report.waiting = [...waiting];
    await this.saveWaiting(report.waiting, kinds);
    if (failure) throw failure;
    if (features.includes('record.agentEvent')) report.agentEvents = await this.pushAgentEvents(report);
    return report;
  }

  /** Agent ids of the pending records the server takes, whoever signed them. */
  private async pendingOwners(kinds: readonly PushRecordKind[]): Promise<string[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .select(sql<string | null>`json_extract(payload, '$.agentId')`.as('agentId'))
      .distinct()
      .where('state', '=', 'pending')
      .where('kind', 'in', [...kinds])
      .execute();
    return rows.map((r) => r.agentId).filter((id): id is string => typeof id === 'string');
  }

  /** For the status bar: whose records wait for a sign-in, by name, with their counts. */
  private async saveWaiting(agentIds: readonly string[], kinds: readonly PushRecordKind[]): Promise<void> {
    const waiting: { agentName: string; pending: number }[] = [];
    for (const agentId of agentIds) {
      const row = await this.db
        .selectFrom('outbox')
        .select([sql<string>`max(json_extract(payload, '$.agentName'))`.as('name'), sql<number>`count(*)`.as('n')])
        .where('state', '=', 'pending')
        .where('kind', 'in', [...kinds])
        .where(sql<string>`json_extract(payload, '$.agentId')`, '=', agentId)
        .executeTakeFirst();
      if (row && row.n > 0) waiting.push({ agentName: row.name ?? agentId, pending: Number(row.n) });
    }
    await setMeta(this.db, { [waitingKey]: waiting.length ? JSON.stringify(waiting) : null });
  }

  /**
   * The desk's journal (sign-in, sign-out, lock, unlock, failed sign-ins) with the device's own token
   * (feature 'record.agentEvent'): it names the desk, not an agent, so any journal line may ride on it.
   * Local profiles' ids ('local:') mean nothing to the server: their lines go without an agent id.
   */
  private async pushAgentEvents(report: PushReport): Promise<number> {
    let taken = 0;
    let afterSeq = 0;
    for (;;) {
      const rows = await this.db.selectFrom('agent_events').selectAll().where('sent_at', 'is', null).where('seq', '>', afterSeq).orderBy('seq').limit(this.pushMaxItems).execute();
      if (rows.length === 0) return taken;
      afterSeq = rows.at(-1)!.seq;
      const items = rows.map((r) => ({
        kind: 'agentEvent',
        record: {
          id: r.id,
          agentId: r.agent_id && !r.agent_id.startsWith('local:') ? r.agent_id : null,
          login: r.login,
          deviceId: this.deviceId,
          kind: r.kind,
          offline: r.offline === 1,
          at: r.at,
        },
      }));
      report.requests += 1;
      report.byOwner!.device = (report.byOwner!.device ?? 0) + 1;
      const raw = await this.http.request<unknown>('POST', 'v1/push', JSON.stringify({ protocol: protocolVersion, deviceId: this.deviceId, items }));
      const parsed = pushResponseSchema.safeParse(raw);
      if (!parsed.success) throw new SyncFailure('badAnswer', `POST v1/push: réponse inattendue (${parsed.error.issues[0]?.message ?? ''})`);
      // A line the server refused is not sent again either: the journal never holds the queue up.
      const answered = parsed.data.results.filter((r) => r.kind === 'agentEvent').map((r) => r.id);
      for (const r of parsed.data.results) if (r.kind === 'agentEvent' && r.outcome !== 'rejected') taken += 1;
      for (const r of parsed.data.results) if (r.outcome === 'rejected') console.error('[sync] journal line refused by the server', r.id, r.error?.code);
      const at = this.clock.now().toISOString();
      for (let i = 0; i < answered.length; i += 500) {
        await this.db.updateTable('agent_events').set({ sent_at: at }).where('id', 'in', answered.slice(i, i + 500)).execute();
      }
    }
  }

  /**
   * One owner's records with their token, whole outbox oldest first, with a few requests in flight
   * at once (the server's round trip is the cost). A void never overtakes its attempt: a batch
   * carrying a void waits for the batch that carries its attempt. After a failure nothing new is
   * sent; what is in flight finishes, and the rest goes next run.
   */
  private async pushOwner(http: SyncHttp, agentIds: readonly string[], kinds: readonly PushRecordKind[], report: PushReport, device: { report: string | null }): Promise<void> {
    const inFlight = new Map<Promise<void>, Set<string>>();
    let failure = null as { error: unknown } | null;
    let afterSeq = 0;
    while (!failure) {
      const batch = await takePendingBatch(this.db, {
        maxItems: this.pushMaxItems,
        // Room for the request's envelope under the server's limit.
        maxBytes: pushLimits.maxBodyBytes - 4096,
        afterSeq,
        agentIds,
        kinds,
      });
      if (batch.length === 0) break;
      afterSeq = batch.at(-1)!.seq;
      // Voids and reasons name an attempt: neither may reach the server before it.
      const voided = batch.filter((e) => e.kind === 'void' || e.kind === 'reason').map((e) => e.recordId);
      for (const [request, attempts] of inFlight) if (voided.some((id) => attempts.has(id))) await request;
      while (inFlight.size >= this.pushConcurrency) await Promise.race(inFlight.keys());
      if (failure) break;
      const attempts = new Set(batch.filter((e) => e.kind === 'attempt').map((e) => e.recordId));
      const extra = device.report ? `,"device":${device.report}` : '';
      device.report = null;
      const request: Promise<void> = this.pushBatch(http, batch, report, extra).then(
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
  }

  private async pushBatch(http: SyncHttp, batch: OutboxEntry[], report: PushReport, extra = ''): Promise<void> {
    await this.hooks.beforePush?.(batch);
    // The payloads are already the records' JSON: the body is assembled, not re-serialised.
    const body = `{"protocol":${protocolVersion},"deviceId":${JSON.stringify(this.deviceId)}${extra},"items":[${batch
      .map((e) => `{"kind":"${e.kind}","record":${e.payload}}`)
      .join(',')}]}`;
    report.requests += 1;
    let raw: unknown;
    const sent = this.clock.now().getTime();
    try {
      raw = await http.request<unknown>('POST', 'v1/push', body);
    } catch (error) {
      await this.isolate(http, batch, report, error);
      return;
    }
    this.pushAnswered = true;
    const parsed = pushResponseSchema.safeParse(raw);
    if (!parsed.success) throw new SyncFailure('badAnswer', `POST v1/push: réponse inattendue (${parsed.error.issues[0]?.message ?? ''})`);
    const answer = parsed.data as PushResponse;
    await this.noteServerTime(answer.serverTime, sent);
    if (typeof (raw as { serverEpoch?: unknown }).serverEpoch === 'string') await this.noticeEpoch((raw as { serverEpoch: string }).serverEpoch);
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
   * A request refused or failed as a whole: find the record at fault by halving the batch, so one
   * bad record goes aside and the rest of the queue still leaves. Only what the server blamed on
   * what we sent is isolated (422, 413, 403 agent.mismatch, a 500, a body cut off twice while going up); a server that
   * is away or overloaded (503, network) is waited for instead, and a 500 is dead-lettered only
   * once the server has taken other requests of this run, so an outage never empties the queue.
   */
  private async isolate(http: SyncHttp, batch: OutboxEntry[], report: PushReport, error: unknown): Promise<void> {
    const refused =
      error instanceof SyncFailure &&
      (error.status === 422 || error.status === 413 || (error.status === 403 && error.body?.code === 'agent.mismatch'));
    const fault = isServerFault(error);
    let cut = false;
    if (!refused && !fault && isUploadCut(error) && batch.length > 1) {
      const seen = (this.uploadCuts.get(batch[0]!.seq) ?? 0) + 1;
      this.uploadCuts.set(batch[0]!.seq, seen);
      if (seen === 1) return this.pushBatch(http, batch, report);
      cut = true;
    }
    if (!refused && !fault && !cut) throw error;
    if (batch.length > 1) {
      const middle = Math.ceil(batch.length / 2);
      await this.pushBatch(http, batch.slice(0, middle), report);
      await this.pushBatch(http, batch.slice(middle), report);
      return;
    }
    if (fault && !this.pushAnswered) throw error;
    const failure = error as SyncFailure;
    const reason = failure.body ? failure.body.message[await this.locale()] : failure.message;
    await settleOutbox(this.db, { done: [], dead: [{ seq: batch[0]!.seq, reason }] }, this.clock.now().toISOString());
    report.rejected += 1;
  }

  /**
   * Reads the server's changes from the saved cursor; each page and its cursor in one transaction.
   * The next page is fetched while this one is applied; it is only ever applied after it.
   */
  async pull(): Promise<PullReport> {
    const report: PullReport = { pages: 0, clients: 0, attempts: 0, voids: 0, parked: 0, unknown: 0 };
    await this.readKeptChangesAgain(report);
    await this.restartIfKindsChanged();
    let cursor = await getPullCursor(this.db);
    let forgotten = 0;
    let next = this.fetchPage(cursor);
    let first = true;
    for (;;) {
      const answer = await next;
      if (first && answer.serverEpoch && (await this.noticeEpoch(answer.serverEpoch)).changed && cursor !== '0') {
        // The server changed between the greeting and this page: this page is from the old cursor.
        cursor = '0';
        next = this.fetchPage(cursor);
        first = false;
        continue;
      }
      first = false;
      if (answer.hasMore) {
        if (answer.nextCursor === cursor && !answer.cursorReset) {
          throw new SyncFailure('badAnswer', 'GET v1/changes: le curseur n’avance pas alors que la suite est annoncée');
        }
        next = this.fetchPage(answer.nextCursor);
        // Awaited next turn; if this page fails to apply first, the prefetch is dropped quietly.
        next.catch(() => undefined);
      }
      const { known, unknown } = readChanges(answer.changes);
      const page = pageOf(known);
      const at = this.clock.now().toISOString();
      const summary = await writeTransaction(this.db, async (trx) => {
        if (answer.cursorReset) {
          // The server was restored from a backup taken before some of our pushes: send them again.
          await requeueOwnRecords(trx, this.deviceId, at);
          await setSyncNotice(trx, { code: 'server.restored', at });
        }
        const applied = await applyPulledPage(trx, page, at);
        forgotten += await this.applyAgentStates(trx, page.agentStates);
        await keepUnknownChanges(trx, unknown, this.appVersion, at);
        await setPullCursor(trx, answer.nextCursor);
        return applied;
      });
      report.pages += 1;
      report.clients += summary.clients;
      report.attempts += summary.attempts;
      report.voids += summary.voids;
      report.parked += summary.parked;
      report.unknown += unknown.length;
      await this.hooks.afterPullPage?.(summary, answer.nextCursor);
      if (!answer.hasMore) {
        if (forgotten > 0) report.agentsForgotten = forgotten;
        return report;
      }
      cursor = answer.nextCursor;
    }
  }

  /**
   * The server skipped, for this cursor, kinds this device did not read then (an update that
   * reads call-backs now): read everything again from zero, once. Ids make repeats harmless.
   */
  private async restartIfKindsChanged(): Promise<void> {
    const declared = declarableChangeKinds.join(',');
    if ((await getMeta(this.db, declaredKindsKey)) === declared) return;
    await writeTransaction(this.db, async (trx) => {
      if ((await getPullCursor(trx)) !== '0') await setPullCursor(trx, '0');
      await setMeta(trx, { [declaredKindsKey]: declared });
    });
  }

  /** Changes another version set aside: this one may read them now (after an update). */
  private async readKeptChangesAgain(report: PullReport): Promise<void> {
    const kept = await takeUnknownChangesFromOtherVersions(this.db, this.appVersion);
    if (kept.length === 0) return;
    const parsed = kept.map((k) => ({ seq: k.seq, read: readChanges([JSON.parse(k.payload) as unknown]) }));
    const readable = parsed.filter((p) => p.read.known.length === 1);
    const still = parsed.filter((p) => p.read.known.length === 0).map((p) => p.seq);
    const at = this.clock.now().toISOString();
    const summary = await writeTransaction(this.db, async (trx) => {
      const page = pageOf(readable.map((p) => p.read.known[0]!));
      const applied = await applyPulledPage(trx, page, at);
      await this.applyAgentStates(trx, page.agentStates);
      await forgetUnknownChanges(trx, readable.map((p) => p.seq));
      await markUnknownChangesSeenBy(trx, still, this.appVersion);
      return applied;
    });
    report.clients += summary.clients;
    report.attempts += summary.attempts;
    report.voids += summary.voids;
    report.parked += summary.parked;
  }

  /** Disabled agents lose their verifier and token here, and in this run's token map. */
  private async applyAgentStates(trx: Kysely<Database>, states: readonly AgentStateRecord[]): Promise<number> {
    if (states.length === 0) return 0;
    for (const state of states) if (state.disabled) this.agentTokens.delete(state.agentId);
    return applyAgentStates(trx, states, this.clock.now());
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

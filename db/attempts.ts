// Notification attempts: recording one, taking it back, voiding it, reading a client's history.
// Each write is one transaction: the attempt (or void), the client's status and the outbox entry.

import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import {
  DeskError,
  defaultChannel,
  limits,
  type Agent,
  type Attempt,
  type AttemptOutcome,
  type AttemptRecord,
  type AttemptStatus,
  type HistoryPage,
  type ReasonDefinition,
  type ReasonRecord,
  type VoidRecord,
} from '../contract/index.ts';
import { lockedIn } from './agent-profiles.ts';
import { callbacksClosedBy, closeCallbacks, handoverKey, handoverMinutesOf, type OpenCallback } from './callbacks.ts';
import { getClient, toClient } from './clients.ts';
import type { LocalDatabase } from './connection.ts';
import { utcOffsetMinutes, type Clock } from './clock.ts';
import type { UndoWindow } from './undo-window.ts';
import { uuidv7 } from './ids.ts';
import { enqueueReason, enqueueVoid } from './outbox.ts';
import { reasonsFromMeta } from './reasons.ts';
import type { AttemptTable, ClientTable, Database, VoidTable } from './schema.ts';
import { settingsFromMeta } from './settings.ts';
import { applyNewAttempts, recomputeClientStatus } from './status.ts';
import { writeTransaction } from './tx.ts';

/** Who is acting, on which device, at what time: filled in by the app, never typed by the agent. */
export interface ActingContext {
  agent: Agent;
  /** Ids the same agent recorded under before a server enrolled this device: their attempts are theirs. */
  formerAgentIds: string[];
  deviceId: string;
  clock: Clock;
  /** Times the undo window on a monotonic clock (db/undo-window.ts); without it, the wall clock. */
  undoWindow?: UndoWindow;
}

type AttemptRow = Selectable<AttemptTable> & {
  void_agent_id: string | null;
  void_agent_name: string | null;
  voided_at: string | null;
  void_reason: string | null;
  void_kind: VoidTable['kind'] | null;
  reason_code: string | null;
};

function toAttempt(row: AttemptRow): Attempt {
  return {
    id: row.id,
    clientCode: row.client_code,
    agentId: row.agent_id,
    agentName: row.agent_name,
    occurredAt: row.occurred_at,
    utcOffsetMin: row.utc_offset_min,
    status: row.status,
    channel: row.channel,
    note: row.note,
    deviceId: row.device_id,
    reason: row.reason_code,
    void:
      row.voided_at === null
        ? null
        : {
            at: row.voided_at,
            agentId: row.void_agent_id ?? '',
            agentName: row.void_agent_name ?? '',
            reason: row.void_reason ?? '',
            kind: row.void_kind ?? 'void',
          },
  };
}

function attemptsWithVoids(db: Kysely<Database>) {
  return db
    .selectFrom('attempts')
    .leftJoin('voids', 'voids.attempt_id', 'attempts.id')
    .leftJoin('attempt_reasons', 'attempt_reasons.attempt_id', 'attempts.id')
    .selectAll('attempts')
    .select([
      'voids.agent_id as void_agent_id',
      'voids.agent_name as void_agent_name',
      'voids.voided_at as voided_at',
      'voids.reason as void_reason',
      'voids.kind as void_kind',
      'attempt_reasons.code as reason_code',
    ]);
}

export async function getAttempt(db: Kysely<Database>, id: string): Promise<Attempt> {
  const row = await attemptsWithVoids(db).where('attempts.id', '=', id).executeTakeFirst();
  if (!row) throw new DeskError('attempt.notFound', { id });
  return toAttempt(row);
}

export function recordFromAttempt(attempt: Attempt): AttemptRecord {
  const { void: _void, reason: _reason, ...record } = attempt;
  return record;
}

/**
 * Inserts attempt records whose ids are not known yet and moves their clients' statuses to the
 * latest of them when it is later. The one path for a click here, a colleague's attempt pulled
 * from the server and a whole pulled page. Returns the records actually inserted. Their clients
 * must exist (foreign key). Call inside a transaction.
 */
export async function insertAttemptRecords(trx: Kysely<Database>, records: AttemptRecord[]): Promise<AttemptRecord[]> {
  const byId = new Map(records.map((r) => [r.id, r]));
  const unique = [...byId.values()];
  const inserted: AttemptRecord[] = [];
  // 400 rows of 10 values: well under SQLite's 32,766 bound parameters.
  for (let i = 0; i < unique.length; i += 400) {
    const rows = await trx
      .insertInto('attempts')
      .values(
        unique.slice(i, i + 400).map((r) => ({
          id: r.id,
          client_code: r.clientCode,
          agent_id: r.agentId,
          agent_name: r.agentName,
          occurred_at: r.occurredAt,
          utc_offset_min: r.utcOffsetMin,
          status: r.status,
          channel: r.channel,
          note: r.note,
          device_id: r.deviceId,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    for (const row of rows) inserted.push(byId.get(row.id)!);
  }
  if (inserted.length > 0) await applyNewAttempts(trx, inserted);
  return inserted;
}

/** One record: false when its id was already here. */
export async function insertAttemptRecord(trx: Kysely<Database>, record: AttemptRecord): Promise<boolean> {
  return (await insertAttemptRecords(trx, [record])).length === 1;
}

/** Inserts a void unless the attempt is already voided; recomputes the client's status. */
export async function insertVoidRecord(trx: Kysely<Database>, record: VoidRecord, clientCode: string): Promise<boolean> {
  const inserted = await trx
    .insertInto('voids')
    .values({
      attempt_id: record.attemptId,
      agent_id: record.agentId,
      agent_name: record.agentName,
      voided_at: record.voidedAt,
      utc_offset_min: record.utcOffsetMin,
      reason: record.reason,
      kind: record.kind,
      device_id: record.deviceId,
    })
    .onConflict((oc) => oc.column('attempt_id').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
  await recomputeClientStatus(trx, clientCode);
  return true;
}

export interface RecordAttemptInput {
  clientCode: string;
  status: AttemptStatus;
  channel?: string | undefined;
  note?: string | undefined;
  /** Picked before the click. */
  reason?: string | undefined;
}

function reasonRecord(attempt: AttemptRecord, code: string, at: Date): ReasonRecord {
  return {
    attemptId: attempt.id,
    code,
    agentId: attempt.agentId,
    agentName: attempt.agentName,
    chosenAt: at.toISOString(),
    utcOffsetMin: utcOffsetMinutes(at),
    deviceId: attempt.deviceId,
  };
}

/**
 * Stores a reason beside its attempt and queues it as its own record, after the attempt's (a
 * server that takes reasons checks the attempt is there first). Call inside a transaction.
 */
async function addReason(trx: Kysely<Database>, attempt: AttemptRecord, code: string, at: Date): Promise<void> {
  const record = reasonRecord(attempt, code, at);
  await trx
    .insertInto('attempt_reasons')
    .values({ attempt_id: record.attemptId, code: record.code, chosen_at: record.chosenAt, utc_offset_min: record.utcOffsetMin })
    .execute();
  await enqueueReason(trx, record, record.chosenAt);
}

/** A known code must fit the result; a code the list does not know (a site's newer one) is let through. */
function checkReasonFits(reasons: readonly ReasonDefinition[], code: string, status: AttemptStatus): void {
  const known = reasons.find((r) => r.code === code);
  if (known && known.status !== status) throw new DeskError('reason.wrongStatus', { code });
}

/**
 * Reasons that came with pulled attempts (a colleague's, or one's own from another device): kept
 * beside attempts that are here, the first one standing. Call inside a transaction.
 */
export async function insertPulledReasons(trx: Kysely<Database>, attempts: readonly (AttemptRecord & { reason?: string | undefined })[]): Promise<number> {
  const withReason = attempts.filter((a) => a.reason !== undefined);
  let inserted = 0;
  for (let i = 0; i < withReason.length; i += 400) {
    const part = withReason.slice(i, i + 400);
    const here = new Set(
      (await trx.selectFrom('attempts').select('id').where('id', 'in', part.map((a) => a.id)).execute()).map((r) => r.id),
    );
    const rows = part
      .filter((a) => here.has(a.id))
      .map((a) => ({ attempt_id: a.id, code: a.reason!, chosen_at: a.occurredAt, utc_offset_min: a.utcOffsetMin }));
    if (rows.length === 0) continue;
    const result = await trx.insertInto('attempt_reasons').values(rows).onConflict((oc) => oc.column('attempt_id').doNothing()).executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

/** What a click needs from the desk beside its input; who is acting is read in the click's transaction. */
export type ClickContext = Pick<ActingContext, 'deviceId' | 'clock' | 'undoWindow'>;

/**
 * The click's statements, prepared once per connection: building the same Kysely queries on every
 * click (parse, freeze, compile) and reading settings, lock, reasons and hand-over delay one query
 * each cost more CPU than SQLite's own work on the three rows (docs/PERFORMANCE.md, "The click").
 * Keyed by the handle, so a base reopened after a restore gets its own.
 */
export interface ClickStatements {
  begin: BetterSqlite3.Statement;
  commit: BetterSqlite3.Statement;
  rollback: BetterSqlite3.Statement;
  meta: BetterSqlite3.Statement<[], [string, string]>;
  /** The client's status moved to the click when it is later (the rule of applyNewAttempts), the row returned. */
  updateClient: BetterSqlite3.Statement;
  insertAttempt: BetterSqlite3.Statement;
  insertOutbox: BetterSqlite3.Statement;
  insertReason: BetterSqlite3.Statement;
  openCallbacks: BetterSqlite3.Statement;
}

const clickStatementsByHandle = new WeakMap<BetterSqlite3.Database, ClickStatements>();

/** Exported for the benchmark's `record_attempt_sql`, the same statements run raw (test/bench/sections.ts). */
export function clickStatements(sqlite: BetterSqlite3.Database): ClickStatements {
  let statements = clickStatementsByHandle.get(sqlite);
  if (statements) return statements;
  const later = `(last_attempt_id IS NULL OR last_attempt_at IS NULL
      OR @occurredAt > last_attempt_at OR (@occurredAt = last_attempt_at AND @id > last_attempt_id))`;
  statements = {
    begin: sqlite.prepare('BEGIN IMMEDIATE'),
    commit: sqlite.prepare('COMMIT'),
    rollback: sqlite.prepare('ROLLBACK'),
    meta: sqlite.prepare<[], [string, string]>('SELECT key, value FROM meta').raw(),
    updateClient: sqlite.prepare(
      `UPDATE clients SET
         attempt_count = attempt_count + 1,
         last_status = CASE WHEN ${later} THEN @status ELSE last_status END,
         last_attempt_at = CASE WHEN ${later} THEN @occurredAt ELSE last_attempt_at END,
         last_attempt_id = CASE WHEN ${later} THEN @id ELSE last_attempt_id END,
         last_agent_id = CASE WHEN ${later} THEN @agentId ELSE last_agent_id END,
         last_agent_name = CASE WHEN ${later} THEN @agentName ELSE last_agent_name END
       WHERE code = @clientCode
       RETURNING *`,
    ),
    insertAttempt: sqlite.prepare(
      `INSERT INTO attempts (id, client_code, agent_id, agent_name, occurred_at, utc_offset_min, status, channel, note, device_id)
       VALUES (@id, @clientCode, @agentId, @agentName, @occurredAt, @utcOffsetMin, @status, @channel, @note, @deviceId)`,
    ),
    insertOutbox: sqlite.prepare(`INSERT INTO outbox (kind, record_id, payload, created_at, state) VALUES (?, ?, ?, ?, 'pending')`),
    insertReason: sqlite.prepare('INSERT INTO attempt_reasons (attempt_id, code, chosen_at, utc_offset_min) VALUES (?, ?, ?, ?)'),
    openCallbacks: sqlite.prepare(`SELECT callback_id, for_agent_id, due_at FROM callbacks WHERE client_code = ? AND state = 'open'`),
  };
  clickStatementsByHandle.set(sqlite, statements);
  return statements;
}

/**
 * A click: the attempt, the client's status, the outbox entry (and the reason picked before, and the
 * call-backs it closes) in one transaction, on statements prepared once. Who is acting (agent, lock),
 * the reasons and the hand-over delay come from one read of meta inside the transaction. Same rules
 * and errors as insertAttemptRecord + enqueueAttempt, which the sync path keeps using.
 */
export async function recordAttempt(
  local: Pick<LocalDatabase, 'db' | 'sqlite'>,
  click: ClickContext,
  input: RecordAttemptInput,
): Promise<AttemptOutcome> {
  const statements = clickStatements(local.sqlite);
  // Kysely's connection, held: no other query of this connection (an import's chunk) runs in between.
  return local.db.connection().execute(async (trx) => {
    statements.begin.run();
    try {
      const meta = new Map(statements.meta.all());
      const { agent, formerAgentIds } = settingsFromMeta(meta);
      if (!agent) throw new DeskError('agent.notSet');
      // A locked desk records nothing: whoever is at the keyboard now is not known.
      if (lockedIn(meta)) throw new DeskError('session.locked');
      const ctx: ActingContext = { ...click, agent, formerAgentIds };
      const at = ctx.clock.now();
      if (input.reason) checkReasonFits(reasonsFromMeta(meta), input.reason, input.status);
      const note = input.note?.trim();
      const record: AttemptRecord = {
        // Without options uuid keeps a per-process sequence: two clicks in the same millisecond still get
        // increasing ids, which is how the status breaks ties between attempts at the same instant.
        id: uuidv7(),
        clientCode: input.clientCode,
        agentId: agent.id,
        agentName: agent.name,
        occurredAt: at.toISOString(),
        utcOffsetMin: utcOffsetMinutes(at),
        status: input.status,
        channel: input.channel?.trim() || defaultChannel,
        note: note ? note : null,
        deviceId: ctx.deviceId,
      };
      // Unknown client: a clear error, nothing written. The status first: its RETURNING is the
      // client the answer carries, so the row is read once.
      const client = statements.updateClient.get(record) as Selectable<ClientTable> | undefined;
      if (!client) throw new DeskError('client.notFound', { code: record.clientCode });
      statements.insertAttempt.run(record);
      statements.insertOutbox.run('attempt', record.id, JSON.stringify(record), record.occurredAt);
      if (input.reason) {
        const reason = reasonRecord(record, input.reason, at);
        statements.insertReason.run(reason.attemptId, reason.code, reason.chosenAt, reason.utcOffsetMin);
        statements.insertOutbox.run('reason', reason.attemptId, JSON.stringify(reason), reason.chosenAt);
      }
      const open = statements.openCallbacks.all(record.clientCode) as OpenCallback[];
      if (open.length > 0) {
        const closed = callbacksClosedBy(open, [agent.id, ...formerAgentIds], at, handoverMinutesOf(meta.get(handoverKey)));
        // Rare (a call-back open on this client): Kysely on the connection held, inside the transaction.
        await closeCallbacks(trx, ctx, record.clientCode, record.id, closed, at);
      }
      statements.commit.run();
      return { attempt: { ...record, reason: input.reason ?? null, void: null }, client: toClient(client) };
    } catch (error) {
      if (local.sqlite.inTransaction) {
        try {
          statements.rollback.run();
        } catch {
          // The connection is closed or the rollback already happened (SQLite rolls back on some errors).
        }
      }
      throw error;
    }
  });
}

/**
 * The reason picked right after the click, while the undo window is open: its own record beside
 * the attempt (which never changes), by the attempt's author, once.
 */
export async function giveReason(
  db: Kysely<Database>,
  ctx: ActingContext,
  input: { attemptId: string; code: string },
  reasons: readonly ReasonDefinition[] = [],
): Promise<AttemptOutcome> {
  const at = ctx.clock.now();
  return writeTransaction(db, async (trx) => {
    const attempt = await getAttempt(trx, input.attemptId);
    if (attempt.agentId !== ctx.agent.id && !ctx.formerAgentIds.includes(attempt.agentId)) throw new DeskError('reason.notAuthor');
    if (attempt.reason !== null) throw new DeskError('reason.alreadyGiven');
    if (attempt.void) throw new DeskError('attempt.alreadyVoided');
    if (at.getTime() - Date.parse(attempt.occurredAt) > limits.undoSeconds * 1000) {
      throw new DeskError('reason.expired', { seconds: limits.undoSeconds });
    }
    checkReasonFits(reasons, input.code, attempt.status);
    await addReason(trx, recordFromAttempt(attempt), input.code, at);
    return { attempt: await getAttempt(trx, input.attemptId), client: await getClient(trx, attempt.clientCode) };
  });
}

async function voidAs(
  db: Kysely<Database>,
  ctx: ActingContext,
  attemptId: string,
  kind: 'undo' | 'void',
  reason: string,
): Promise<AttemptOutcome> {
  const at = ctx.clock.now();
  return writeTransaction(db, async (trx) => {
    const attempt = await getAttempt(trx, attemptId);
    if (attempt.void) throw new DeskError('attempt.alreadyVoided');
    if (attempt.agentId !== ctx.agent.id && !ctx.formerAgentIds.includes(attempt.agentId)) throw new DeskError('attempt.notAuthor');
    const elapsedMs = ctx.undoWindow ? ctx.undoWindow.elapsedMs(attemptId, attempt.occurredAt, at) : at.getTime() - Date.parse(attempt.occurredAt);
    if (kind === 'undo' && elapsedMs > limits.undoSeconds * 1000) {
      throw new DeskError('attempt.undoExpired', { seconds: limits.undoSeconds });
    }
    const record: VoidRecord = {
      attemptId,
      agentId: ctx.agent.id,
      agentName: ctx.agent.name,
      voidedAt: at.toISOString(),
      utcOffsetMin: utcOffsetMinutes(at),
      reason,
      kind,
      deviceId: ctx.deviceId,
    };
    await insertVoidRecord(trx, record, attempt.clientCode);
    await enqueueVoid(trx, record, record.voidedAt);
    return { attempt: await getAttempt(trx, attemptId), client: await getClient(trx, attempt.clientCode) };
  });
}

/** The author takes back a mis-click within seconds; no reason asked. It stays in the history. */
export function undoAttempt(db: Kysely<Database>, ctx: ActingContext, attemptId: string): Promise<AttemptOutcome> {
  return voidAs(db, ctx, attemptId, 'undo', 'Annulation immédiate par l’agent');
}

export function voidAttempt(db: Kysely<Database>, ctx: ActingContext, attemptId: string, reason: string): Promise<AttemptOutcome> {
  const trimmed = reason.trim();
  if (!trimmed) throw new DeskError('void.reasonRequired');
  return voidAs(db, ctx, attemptId, 'void', trimmed);
}

// A history cursor is the last row's "occurredAt|id": stable while new attempts keep arriving.
function parseCursor(cursor: string): { occurredAt: string; id: string } | null {
  const [occurredAt, id] = cursor.split('|');
  return occurredAt && id ? { occurredAt, id } : null;
}

export async function listHistory(
  db: Kysely<Database>,
  input: { clientCode: string; before?: string | undefined; limit: number },
): Promise<HistoryPage> {
  await getClient(db, input.clientCode);
  let query = attemptsWithVoids(db).where('attempts.client_code', '=', input.clientCode);
  if (input.before) {
    const cursor = parseCursor(input.before);
    if (!cursor) throw new DeskError('input.invalid', { details: 'before' });
    query = query.where((eb) =>
      eb.or([
        eb('attempts.occurred_at', '<', cursor.occurredAt),
        eb.and([eb('attempts.occurred_at', '=', cursor.occurredAt), eb('attempts.id', '<', cursor.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('attempts.occurred_at', 'desc')
    .orderBy('attempts.id', 'desc')
    .limit(input.limit + 1)
    .execute();
  const items = rows.slice(0, input.limit).map(toAttempt);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > input.limit && last ? `${last.occurredAt}|${last.id}` : null };
}

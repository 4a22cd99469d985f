// Notification attempts: recording one, taking it back, voiding it, reading a client's history.
// Each write is one transaction: the attempt (or void), the client's status and the outbox entry.

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
import { closeCallbacksByAttempt } from './callbacks.ts';
import { clientExists, getClient } from './clients.ts';
import { utcOffsetMinutes, type Clock } from './clock.ts';
import type { UndoWindow } from './undo-window.ts';
import { uuidv7 } from './ids.ts';
import { enqueueAttempt, enqueueReason, enqueueVoid } from './outbox.ts';
import type { AttemptTable, Database, VoidTable } from './schema.ts';
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

/**
 * Stores a reason beside its attempt and queues it as its own record, after the attempt's (a
 * server that takes reasons checks the attempt is there first). Call inside a transaction.
 */
async function addReason(trx: Kysely<Database>, attempt: AttemptRecord, code: string, at: Date): Promise<void> {
  const record: ReasonRecord = {
    attemptId: attempt.id,
    code,
    agentId: attempt.agentId,
    agentName: attempt.agentName,
    chosenAt: at.toISOString(),
    utcOffsetMin: utcOffsetMinutes(at),
    deviceId: attempt.deviceId,
  };
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

export async function recordAttempt(
  db: Kysely<Database>,
  ctx: ActingContext,
  input: RecordAttemptInput,
  reasons: readonly ReasonDefinition[] = [],
): Promise<AttemptOutcome> {
  const at = ctx.clock.now();
  if (input.reason) checkReasonFits(reasons, input.reason, input.status);
  const note = input.note?.trim();
  const record: AttemptRecord = {
    // Without options uuid keeps a per-process sequence: two clicks in the same millisecond still get
    // increasing ids, which is how the status breaks ties between attempts at the same instant.
    id: uuidv7(),
    clientCode: input.clientCode,
    agentId: ctx.agent.id,
    agentName: ctx.agent.name,
    occurredAt: at.toISOString(),
    utcOffsetMin: utcOffsetMinutes(at),
    status: input.status,
    channel: input.channel?.trim() || defaultChannel,
    note: note ? note : null,
    deviceId: ctx.deviceId,
  };
  return writeTransaction(db, async (trx) => {
    // Unknown client: a clear error, nothing written.
    if (!(await clientExists(trx, record.clientCode))) throw new DeskError('client.notFound', { code: record.clientCode });
    await insertAttemptRecord(trx, record);
    await enqueueAttempt(trx, record, record.occurredAt);
    if (input.reason) await addReason(trx, record, input.reason, at);
    await closeCallbacksByAttempt(trx, ctx, record.clientCode, record.id);
    return { attempt: { ...record, reason: input.reason ?? null, void: null }, client: await getClient(trx, record.clientCode) };
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

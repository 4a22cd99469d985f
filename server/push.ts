// POST /v1/push: a device hands over its outbox. One transaction per request, one outcome per
// item, items applied in their order. The agent is the token's, never the body's: records made
// before the device was enrolled ('local:…') are attributed to the token's agent; a record claiming
// another agent refuses the whole request before anything is written.
//
// Concurrent pushes may carry the same ids in other orders. Every lock a push takes on a row of
// attempts or voids is taken in one order (attempts by id, then voids by attempt id, then the
// reasons by attempt id, then the device, then the change counter), so two pushes wait for each other instead of deadlocking.
// Client statuses come before the counter, locked by code; the dashboard's tallies, which every
// push shares, after it: the counter serialises pushes from there to the commit, so no push waits on them.

import type { Kysely, Selectable } from 'kysely';
import type { AgentEventRecord, AttemptRecord, CallbackRecord, ReasonRecord, VoidRecord } from '../contract/records.ts';
import { pushLimits, type PushItemResult, type PushResponse } from '../contract/sync-protocol.ts';
import type { AgentCaller, CallerIdentity } from './auth.ts';
import { tallyAttempts } from './attempt-tallies.ts';
import { keepClientStatuses, moveStreakCounts } from './client-status.ts';
import { ProtocolFailure, itemError } from './failure.ts';
import type { CheckedPush } from './push-items.ts';
import { appendChanges, type Change } from './storage/changes.ts';
import type { ServerDatabase } from './storage/database.ts';
import type { AgentEventTable, AttemptReasonTable, AttemptTable, CallbackEventTable, ServerSchema, VoidTable } from './storage/schema.ts';
import { writeTransaction } from './storage/tx.ts';
import { recordPushingDevice } from './devices.ts';

export const localAgentPrefix = 'local:';

/**
 * Throws agent.mismatch (403) if any record claims an agent other than the caller. A device token
 * names no agent: its records other than agent events are each rejected (auth.deviceOnly) instead.
 */
export function checkAttribution(caller: CallerIdentity, push: CheckedPush): void {
  if (caller.kind === 'device') return;
  push.items.forEach((checked, index) => {
    // Agent events name who was at the keyboard, signed in or not: judged on their own (agentEvent()).
    if (!checked.ok || checked.item.kind === 'agentEvent') return;
    const claimed = checked.item.record.agentId;
    if (claimed !== caller.agentId && !claimed.startsWith(localAgentPrefix)) {
      throw new ProtocolFailure('agent.mismatch', `items.${index}.record.agentId`);
    }
  });
}

function sameAttempt(row: Selectable<AttemptTable>, record: AttemptRecord, agentId: string): boolean {
  return (
    row.client_code === record.clientCode &&
    row.agent_id === agentId &&
    row.occurred_at === record.occurredAt &&
    Number(row.utc_offset_min) === record.utcOffsetMin &&
    row.status === record.status &&
    row.channel === record.channel &&
    row.note === record.note &&
    row.device_id === record.deviceId
  );
}

function sameVoid(row: Selectable<VoidTable>, record: VoidRecord, agentId: string): boolean {
  return (
    row.agent_id === agentId &&
    row.voided_at === record.voidedAt &&
    Number(row.utc_offset_min) === record.utcOffsetMin &&
    row.reason === record.reason &&
    row.kind === record.kind &&
    row.device_id === record.deviceId
  );
}

function sameReason(row: Selectable<AttemptReasonTable>, record: ReasonRecord, agentId: string): boolean {
  return (
    row.code === record.code &&
    row.agent_id === agentId &&
    row.chosen_at === record.chosenAt &&
    Number(row.utc_offset_min) === record.utcOffsetMin &&
    row.device_id === record.deviceId
  );
}

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type Outcome = (outcome: PushItemResult['outcome'], error?: PushItemResult['error']) => PushItemResult;

function sameCallbackEvent(row: Selectable<CallbackEventTable>, record: CallbackRecord, agentId: string): boolean {
  return (
    row.callback_id === record.callbackId &&
    row.event === record.event &&
    row.client_code === record.clientCode &&
    row.due_at === record.dueAt &&
    row.for_agent_id === record.forAgentId &&
    row.attempt_id === record.attemptId &&
    row.agent_id === agentId &&
    row.at === record.at &&
    Number(row.utc_offset_min) === record.utcOffsetMin &&
    row.device_id === record.deviceId
  );
}

function sameAgentEvent(row: Selectable<AgentEventTable>, record: AgentEventRecord): boolean {
  return (
    row.source === 'desk' &&
    row.kind === record.kind &&
    row.at === record.at &&
    row.agent_id === record.agentId &&
    row.login === record.login &&
    row.device_id === record.deviceId &&
    row.offline === (record.offline ? 1 : 0)
  );
}

function outcomeFor(kind: 'attempt' | 'void' | 'reason' | 'callback' | 'agentEvent', id: string): Outcome {
  return (outcome, error) => (error ? { kind, id, outcome, error } : { kind, id, outcome });
}

interface PlannedReason {
  index: number;
  row: Selectable<AttemptReasonTable>;
  record: ReasonRecord;
  result: Outcome;
}

interface PlannedVoid {
  index: number;
  row: Selectable<VoidTable>;
  record: VoidRecord;
  result: Outcome;
}

class PushBatch {
  private readonly attempts = new Map<string, Selectable<AttemptTable>>();
  private readonly voids = new Map<string, Selectable<VoidTable>>();
  private readonly reasons = new Map<string, Selectable<AttemptReasonTable>>();
  private readonly plannedReasons: PlannedReason[] = [];
  private readonly callbackEvents = new Map<string, Selectable<CallbackEventTable>>();
  private readonly plannedCallbacks: { index: number; row: Selectable<CallbackEventTable>; record: CallbackRecord; result: Outcome }[] = [];
  private readonly clients = new Set<string>();
  /** Attempts this batch inserted whose own item has not been reached yet (a void before them is refused). */
  private readonly insertedNow = new Set<string>();
  private readonly plannedVoids: PlannedVoid[] = [];
  /** reason: the entry logs an attempt again for its new reason (not a new attempt). */
  private changes: (Change & { reason?: boolean })[] = [];
  readonly results: PushItemResult[] = [];

  private readonly plannedAgentEvents: { index: number; row: Selectable<AgentEventTable>; record: AgentEventRecord; result: Outcome }[] = [];

  private readonly trx: Kysely<ServerSchema>;
  private readonly caller: AgentCaller;
  private readonly tokenId: string;
  private readonly receivedAt: string;

  /** caller: null for a device token, whose only items that reach the batch are agent events. */
  constructor(trx: Kysely<ServerSchema>, caller: AgentCaller | null, tokenId: string, receivedAt: string) {
    this.trx = trx;
    // Every use of the agent below is for a record a device token never gets this far with.
    this.caller = caller ?? ({ kind: 'agent', agentId: '', agentName: '', tokenId, boundDeviceId: null } satisfies AgentCaller);
    this.tokenId = tokenId;
    this.receivedAt = receivedAt;
  }

  /**
   * An agent event: kept as the desk says it (who was at the keyboard is the desk's statement, signed
   * in or not, online or offline), with the token that brought it; the same id again is a duplicate.
   * Its deviceId must be the push's: a desk speaks for itself only.
   */
  agentEvent(record: AgentEventRecord, carriedId: string, index: number, deviceId: string): PushItemResult {
    const result = outcomeFor('agentEvent', carriedId);
    if (record.deviceId !== deviceId) return result('rejected', itemError('record.invalid', 'deviceId'));
    const earlier = this.plannedAgentEvents.find((p) => p.row.id === record.id);
    if (earlier) return sameAgentEvent(earlier.row, record) ? result('duplicate') : result('rejected', itemError('attempt.conflict', `agent event ${record.id}`));
    const row: Selectable<AgentEventTable> = {
      id: record.id,
      at: record.at,
      received_at: this.receivedAt,
      source: 'desk',
      kind: record.kind,
      agent_id: record.agentId,
      login: record.login,
      device_id: record.deviceId,
      offline: record.offline ? 1 : 0,
      detail: null,
      address: null,
      token_id: this.tokenId,
    };
    this.plannedAgentEvents.push({ index, row, record, result });
    return result('applied');
  }

  /** Written in id order; an id already stored is a duplicate when it says the same, a conflict otherwise. */
  async insertPlannedAgentEvents(): Promise<void> {
    if (this.plannedAgentEvents.length === 0) return;
    const sorted = [...this.plannedAgentEvents].sort((a, b) => byText(a.row.id, b.row.id));
    const inserted = new Set<string>();
    for (const part of chunk(sorted, pushLimits.maxItems)) {
      const rows = await this.trx
        .insertInto('agent_events')
        .values(part.map((p) => p.row))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      for (const { id } of rows) inserted.add(id);
    }
    const raced = this.plannedAgentEvents.filter((p) => !inserted.has(p.row.id));
    if (raced.length === 0) return;
    const stored = await this.trx.selectFrom('agent_events').selectAll().where('id', 'in', raced.map((p) => p.row.id)).execute();
    const storedById = new Map(stored.map((row) => [row.id, row]));
    for (const planned of raced) {
      const row = storedById.get(planned.row.id);
      if (!row) throw new Error(`agent event ${planned.row.id} neither inserted nor found`);
      this.results[planned.index] = sameAgentEvent(row, planned.record)
        ? planned.result('duplicate')
        : planned.result('rejected', itemError('attempt.conflict', `agent event ${planned.row.id}`));
    }
  }

  /** Reads what the batch refers to in a few queries instead of one per item. */
  async preload(push: CheckedPush): Promise<void> {
    const attemptIds = new Set<string>();
    const clientCodes = new Set<string>();
    for (const checked of push.items) {
      if (!checked.ok) continue;
      const { item } = checked;
      if (item.kind === 'attempt') {
        attemptIds.add(item.record.id);
        clientCodes.add(item.record.clientCode);
      } else if (item.kind === 'callback') clientCodes.add(item.record.clientCode);
      else if (item.kind !== 'agentEvent') attemptIds.add(item.record.attemptId);
    }
    for (const ids of chunk([...attemptIds], 500)) {
      for (const row of await this.trx.selectFrom('attempts').selectAll().where('id', 'in', ids).execute()) this.attempts.set(row.id, row);
      for (const row of await this.trx.selectFrom('voids').selectAll().where('attempt_id', 'in', ids).execute()) this.voids.set(row.attempt_id, row);
      if (push.items.some((c) => c.ok && c.item.kind === 'reason')) {
        for (const row of await this.trx.selectFrom('attempt_reasons').selectAll().where('attempt_id', 'in', ids).execute()) {
          this.reasons.set(row.attempt_id, row);
        }
      }
    }
    for (const codes of chunk([...clientCodes], 500)) {
      for (const row of await this.trx.selectFrom('clients').select('code').where('code', 'in', codes).execute()) this.clients.add(row.code);
    }
  }

  private async storedAttempt(id: string): Promise<Selectable<AttemptTable> | undefined> {
    const known = this.attempts.get(id);
    if (known) return known;
    const row = await this.trx.selectFrom('attempts').selectAll().where('id', '=', id).executeTakeFirst();
    if (row) this.attempts.set(id, row);
    return row;
  }

  private attemptRow(record: AttemptRecord): Selectable<AttemptTable> {
    return {
      id: record.id,
      client_code: record.clientCode,
      agent_id: this.caller.agentId,
      agent_name: this.caller.agentName,
      occurred_at: record.occurredAt,
      utc_offset_min: record.utcOffsetMin,
      status: record.status,
      channel: record.channel,
      note: record.note,
      device_id: record.deviceId,
      sent_agent_id: record.agentId,
      received_at: this.receivedAt,
    };
  }

  /**
   * Inserts, in id order and in a few multi-row statements, the attempts of the batch that look new
   * (unknown id, known client, first time in the batch). Which ones really went in is decided by the
   * database (ON CONFLICT DO NOTHING … RETURNING); attempt() then gives each item its outcome in order.
   */
  async insertNewAttempts(records: AttemptRecord[]): Promise<void> {
    const fresh = new Map<string, Selectable<AttemptTable>>();
    for (const record of records) {
      if (this.attempts.has(record.id) || fresh.has(record.id) || !this.clients.has(record.clientCode)) continue;
      fresh.set(record.id, this.attemptRow(record));
    }
    const sorted = [...fresh.values()].sort((a, b) => byText(a.id, b.id));
    for (const rows of chunk(sorted, pushLimits.maxItems)) {
      const inserted = await this.trx
        .insertInto('attempts')
        .values(rows)
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      for (const { id } of inserted) this.insertedNow.add(id);
    }
    for (const [id, row] of fresh) if (this.insertedNow.has(id)) this.attempts.set(id, row);
  }

  async attempt(record: AttemptRecord, carriedId: string): Promise<PushItemResult> {
    const result = outcomeFor('attempt', carriedId);
    if (this.insertedNow.delete(record.id)) {
      this.changes.push({ kind: 'attempt', ref: record.id });
      return result('applied');
    }
    // Known before, sent twice in this batch, or stored by a concurrent request meanwhile.
    const existing = await this.storedAttempt(record.id);
    if (existing) {
      return sameAttempt(existing, record, this.caller.agentId) ? result('duplicate') : result('rejected', itemError('attempt.conflict', record.id));
    }
    if (!this.clients.has(record.clientCode)) return result('rejected', itemError('client.unknown', record.clientCode));
    throw new Error(`attempt ${record.id} neither inserted nor found`);
  }

  private compareVoid(row: Selectable<VoidTable>, record: VoidRecord, result: Outcome): PushItemResult {
    return sameVoid(row, record, this.caller.agentId)
      ? result('duplicate')
      : result('rejected', itemError('attempt.conflict', `attempt ${record.attemptId} is already voided differently`));
  }

  /** Decides a void in its place in the batch; a new one is written later, with the others, in order. */
  async void(record: VoidRecord, carriedId: string, index: number): Promise<PushItemResult> {
    const result = outcomeFor('void', carriedId);
    // An attempt of this batch exists for the items after it only ("items are applied in order").
    const attempt = this.insertedNow.has(record.attemptId) ? undefined : await this.storedAttempt(record.attemptId);
    if (!attempt) return result('rejected', itemError('attempt.unknown', record.attemptId));
    // Only the attempt's author may void it, as on the device (attempt.notAuthor there).
    if (attempt.agent_id !== this.caller.agentId) {
      return result('rejected', itemError('agent.mismatch', `attempt ${record.attemptId} was recorded by another agent`));
    }
    // Stored before the batch (preloaded) or decided earlier in it.
    const existing = this.voids.get(record.attemptId);
    if (existing) return this.compareVoid(existing, record, result);
    const row: Selectable<VoidTable> = {
      attempt_id: record.attemptId,
      agent_id: this.caller.agentId,
      agent_name: this.caller.agentName,
      voided_at: record.voidedAt,
      utc_offset_min: record.utcOffsetMin,
      reason: record.reason,
      kind: record.kind,
      device_id: record.deviceId,
      sent_agent_id: record.agentId,
      received_at: this.receivedAt,
    };
    this.voids.set(record.attemptId, row);
    this.plannedVoids.push({ index, row, record, result });
    this.changes.push({ kind: 'void', ref: record.attemptId });
    return result('applied');
  }

  /**
   * Writes the new voids in attempt-id order. One that a concurrent request stored first (it
   * committed while this one waited on its row) gets the outcome a re-send would get.
   */
  async insertPlannedVoids(): Promise<void> {
    if (this.plannedVoids.length === 0) return;
    const sorted = [...this.plannedVoids].sort((a, b) => byText(a.row.attempt_id, b.row.attempt_id));
    const inserted = new Set<string>();
    for (const part of chunk(sorted, pushLimits.maxItems)) {
      const rows = await this.trx
        .insertInto('voids')
        .values(part.map((p) => p.row))
        .onConflict((oc) => oc.column('attempt_id').doNothing())
        .returning('attempt_id')
        .execute();
      for (const { attempt_id } of rows) inserted.add(attempt_id);
    }
    const raced = this.plannedVoids.filter((p) => !inserted.has(p.row.attempt_id));
    if (raced.length === 0) return;
    const stored = await this.trx.selectFrom('voids').selectAll().where('attempt_id', 'in', raced.map((p) => p.row.attempt_id)).execute();
    const storedById = new Map(stored.map((row) => [row.attempt_id, row]));
    for (const planned of raced) {
      const row = storedById.get(planned.row.attempt_id);
      if (!row) throw new Error(`void of ${planned.row.attempt_id} neither inserted nor found`);
      this.results[planned.index] = this.compareVoid(row, planned.record, planned.result);
    }
    const lost = new Set(raced.map((p) => p.row.attempt_id));
    this.changes = this.changes.filter((c) => c.kind !== 'void' || !lost.has(c.ref));
  }

  /**
   * Decides a reason in its place in the batch, as a void is decided: its attempt must be stored
   * (or come earlier in the batch) and be the caller's; the first reason of an attempt stands.
   * The attempt is logged again, so every device pulls it once more, now with its reason.
   */
  async reason(record: ReasonRecord, carriedId: string, index: number): Promise<PushItemResult> {
    const result = outcomeFor('reason', carriedId);
    const attempt = this.insertedNow.has(record.attemptId) ? undefined : await this.storedAttempt(record.attemptId);
    if (!attempt) return result('rejected', itemError('attempt.unknown', record.attemptId));
    if (attempt.agent_id !== this.caller.agentId) {
      return result('rejected', itemError('agent.mismatch', `attempt ${record.attemptId} was recorded by another agent`));
    }
    const existing = this.reasons.get(record.attemptId);
    if (existing) return this.compareReason(existing, record, result);
    const row: Selectable<AttemptReasonTable> = {
      attempt_id: record.attemptId,
      code: record.code,
      agent_id: this.caller.agentId,
      agent_name: this.caller.agentName,
      chosen_at: record.chosenAt,
      utc_offset_min: record.utcOffsetMin,
      device_id: record.deviceId,
      sent_agent_id: record.agentId,
      received_at: this.receivedAt,
    };
    this.reasons.set(record.attemptId, row);
    this.plannedReasons.push({ index, row, record, result });
    // Pulls read the reason with the attempt: logged by this batch already, once is enough.
    if (!this.changes.some((c) => c.kind === 'attempt' && c.ref === record.attemptId)) this.changes.push({ kind: 'attempt', ref: record.attemptId, reason: true });
    return result('applied');
  }

  private compareReason(row: Selectable<AttemptReasonTable>, record: ReasonRecord, result: Outcome): PushItemResult {
    return sameReason(row, record, this.caller.agentId)
      ? result('duplicate')
      : result('rejected', itemError('attempt.conflict', `attempt ${record.attemptId} already has another reason`));
  }

  /** Writes the new reasons in attempt-id order; one a concurrent request stored first is compared instead. */
  async insertPlannedReasons(): Promise<void> {
    if (this.plannedReasons.length === 0) return;
    const sorted = [...this.plannedReasons].sort((a, b) => byText(a.row.attempt_id, b.row.attempt_id));
    const inserted = new Set<string>();
    for (const part of chunk(sorted, pushLimits.maxItems)) {
      const rows = await this.trx
        .insertInto('attempt_reasons')
        .values(part.map((p) => p.row))
        .onConflict((oc) => oc.column('attempt_id').doNothing())
        .returning('attempt_id')
        .execute();
      for (const { attempt_id } of rows) inserted.add(attempt_id);
    }
    const raced = this.plannedReasons.filter((p) => !inserted.has(p.row.attempt_id));
    if (raced.length === 0) return;
    const stored = await this.trx.selectFrom('attempt_reasons').selectAll().where('attempt_id', 'in', raced.map((p) => p.row.attempt_id)).execute();
    const storedById = new Map(stored.map((row) => [row.attempt_id, row]));
    for (const planned of raced) {
      const row = storedById.get(planned.row.attempt_id);
      if (!row) throw new Error(`reason of ${planned.row.attempt_id} neither inserted nor found`);
      this.results[planned.index] = this.compareReason(row, planned.record, planned.result);
    }
    // The attempt was logged again for a reason this request did not store: drop those entries.
    const lost = raced.map((p) => p.row.attempt_id);
    for (const id of lost) {
      const at = this.changes.findLastIndex((c) => c.kind === 'attempt' && c.ref === id && c.reason === true);
      if (at >= 0) this.changes.splice(at, 1);
    }
  }

  /**
   * A call-back event: new ones are written in id order after the reasons (one lock order), each
   * for a client the server knows; the same id again is a duplicate, or a conflict if it differs.
   * Any agent may schedule, cancel or close a call-back: team call-backs are everyone's.
   */
  async callback(record: CallbackRecord, carriedId: string, index: number): Promise<PushItemResult> {
    const result = outcomeFor('callback', carriedId);
    const existing = this.callbackEvents.get(record.id) ?? (await this.storedCallbackEvent(record.id));
    if (existing) {
      return sameCallbackEvent(existing, record, this.caller.agentId) ? result('duplicate') : result('rejected', itemError('attempt.conflict', `call-back event ${record.id}`));
    }
    if (!this.clients.has(record.clientCode)) return result('rejected', itemError('client.unknown', record.clientCode));
    const row: Selectable<CallbackEventTable> = {
      id: record.id,
      callback_id: record.callbackId,
      event: record.event,
      client_code: record.clientCode,
      due_at: record.dueAt,
      // A call-back "pour moi" is the pushing agent's, also when made before enrolment ('local:').
      for_agent_id: record.forAgentId === null ? null : record.forAgentId === record.agentId ? this.caller.agentId : record.forAgentId,
      attempt_id: record.attemptId,
      agent_id: this.caller.agentId,
      agent_name: this.caller.agentName,
      at: record.at,
      utc_offset_min: record.utcOffsetMin,
      device_id: record.deviceId,
      sent_agent_id: record.agentId,
      received_at: this.receivedAt,
    };
    this.callbackEvents.set(record.id, row);
    this.plannedCallbacks.push({ index, row, record, result });
    this.changes.push({ kind: 'callback', ref: record.id });
    return result('applied');
  }

  private async storedCallbackEvent(id: string): Promise<Selectable<CallbackEventTable> | undefined> {
    return this.trx.selectFrom('callback_events').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insertPlannedCallbacks(): Promise<void> {
    if (this.plannedCallbacks.length === 0) return;
    const sorted = [...this.plannedCallbacks].sort((a, b) => byText(a.row.id, b.row.id));
    const inserted = new Set<string>();
    for (const part of chunk(sorted, pushLimits.maxItems)) {
      const rows = await this.trx
        .insertInto('callback_events')
        .values(part.map((p) => p.row))
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      for (const { id } of rows) inserted.add(id);
    }
    const raced = this.plannedCallbacks.filter((p) => !inserted.has(p.row.id));
    for (const planned of raced) {
      const row = await this.storedCallbackEvent(planned.row.id);
      if (!row) throw new Error(`call-back event ${planned.row.id} neither inserted nor found`);
      this.results[planned.index] = sameCallbackEvent(row, planned.record, this.caller.agentId)
        ? planned.result('duplicate')
        : planned.result('rejected', itemError('attempt.conflict', `call-back event ${planned.row.id}`));
    }
    const lost = new Set(raced.map((p) => p.row.id));
    this.changes = this.changes.filter((c) => c.kind !== 'callback' || !lost.has(c.ref));
  }

  counts(): { attempts: number; voids: number } {
    return {
      attempts: this.changes.filter((c) => c.kind === 'attempt' && c.reason !== true).length,
      voids: this.changes.filter((c) => c.kind === 'void').length,
    };
  }

  /**
   * The attempts this batch stored and those it voided, as rows (in memory: the batch read or wrote
   * each one): what moves client statuses and the dashboard's tallies. An attempt logged again for
   * its reason moves neither.
   */
  appliedRows(): { attempts: Selectable<AttemptTable>[]; voided: Selectable<AttemptTable>[] } {
    const attempts: Selectable<AttemptTable>[] = [];
    const voided: Selectable<AttemptTable>[] = [];
    for (const c of this.changes) {
      if (c.reason === true || (c.kind !== 'attempt' && c.kind !== 'void')) continue;
      const row = this.attempts.get(c.ref);
      if (!row) throw new Error(`applied ${c.kind} ${c.ref} without its attempt row`);
      (c.kind === 'attempt' ? attempts : voided).push(row);
    }
    return { attempts, voided };
  }

  loggedChanges(): Change[] {
    return this.changes.map(({ kind, ref }) => ({ kind, ref }));
  }
}

/**
 * The body of a push inside a caller-owned transaction: exported so that tests can hold the
 * transaction open and prove that pulls stay in commit order.
 */
export async function applyPushInTransaction(
  trx: Kysely<ServerSchema>,
  caller: CallerIdentity,
  push: CheckedPush,
  receivedAt: string,
): Promise<PushItemResult[]> {
  // A device token speaks for the desk, never for an agent: whatever it carries but agent events is
  // rejected item by item (the rest of the batch, its agent events, still goes in).
  const items =
    caller.kind === 'agent'
      ? push.items
      : push.items.map((checked): typeof checked =>
          !checked.ok || checked.item.kind === 'agentEvent'
            ? checked
            : { ok: false, result: { kind: checked.item.kind, id: checked.carriedId, outcome: 'rejected', error: itemError('auth.deviceOnly', checked.item.kind) } },
        );
  const batch = new PushBatch(trx, caller.kind === 'agent' ? caller : null, caller.tokenId, receivedAt);
  await batch.preload({ ...push, items });
  await batch.insertNewAttempts(items.flatMap((c) => (c.ok && c.item.kind === 'attempt' ? [c.item.record] : [])));
  for (const [index, checked] of items.entries()) {
    if (!checked.ok) batch.results.push(checked.result);
    else if (checked.item.kind === 'agentEvent') batch.results.push(batch.agentEvent(checked.item.record, checked.carriedId, index, push.deviceId));
    else if (checked.item.kind === 'attempt') batch.results.push(await batch.attempt(checked.item.record, checked.carriedId));
    else if (checked.item.kind === 'void') batch.results.push(await batch.void(checked.item.record, checked.carriedId, index));
    else if (checked.item.kind === 'reason') batch.results.push(await batch.reason(checked.item.record, checked.carriedId, index));
    else batch.results.push(await batch.callback(checked.item.record, checked.carriedId, index));
  }
  await batch.insertPlannedVoids();
  await batch.insertPlannedReasons();
  await batch.insertPlannedCallbacks();
  await batch.insertPlannedAgentEvents();
  const applied = batch.appliedRows();
  const streakMoves = await keepClientStatuses(trx, {
    attempts: applied.attempts.map((r) => ({ id: r.id, clientCode: r.client_code, occurredAt: r.occurred_at, status: r.status, agentId: r.agent_id, agentName: r.agent_name })),
    voidedClients: applied.voided.map((r) => r.client_code),
  });
  // A device token's push names no agent to count it for (the Postes page shows its agent events).
  if (caller.kind === 'agent') await recordPushingDevice(trx, { deviceId: push.deviceId, agentId: caller.agentId, at: receivedAt, ...batch.counts() });
  await appendChanges(trx, batch.loggedChanges());
  // After the change counter: every push of the same hour wants the same few tally rows; taken
  // while holding the counter, they are never waited on (docs/PERFORMANCE.md).
  await tallyAttempts(trx, applied.attempts, 1);
  await moveStreakCounts(trx, streakMoves);
  await tallyAttempts(trx, applied.voided, -1);
  return batch.results;
}

export async function applyPush(sdb: ServerDatabase, caller: CallerIdentity, push: CheckedPush, now: Date): Promise<Omit<PushResponse, 'serverEpoch'>> {
  checkAttribution(caller, push);
  const receivedAt = now.toISOString();
  const results = await writeTransaction(sdb, (trx) => applyPushInTransaction(trx, caller, push, receivedAt));
  return { results, serverTime: receivedAt };
}

// POST /v1/push: a device hands over its outbox. One transaction per request, one outcome per
// item. The agent is the token's, never the body's: records made before the device was enrolled
// ('local:…') are attributed to the token's agent; a record claiming another agent refuses the
// whole request before anything is written.

import type { Kysely, Selectable } from 'kysely';
import type { AttemptRecord, VoidRecord } from '../contract/records.ts';
import { pushLimits, type PushItemResult, type PushRequest, type PushResponse } from '../contract/sync-protocol.ts';
import type { CallerIdentity } from './auth.ts';
import { ProtocolFailure, itemError } from './failure.ts';
import { appendChanges, type Change } from './storage/changes.ts';
import type { ServerDatabase } from './storage/database.ts';
import type { AttemptTable, ServerSchema, VoidTable } from './storage/schema.ts';
import { writeTransaction } from './storage/tx.ts';

export const localAgentPrefix = 'local:';

/** Throws agent.mismatch (403) if any record claims an agent other than the caller. */
export function checkAttribution(caller: CallerIdentity, request: PushRequest): void {
  request.items.forEach((item, index) => {
    const claimed = item.record.agentId;
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

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

class PushBatch {
  private readonly attempts = new Map<string, Selectable<AttemptTable>>();
  private readonly voids = new Map<string, Selectable<VoidTable>>();
  private readonly clients = new Set<string>();
  readonly changes: Change[] = [];
  attemptsApplied = 0;
  voidsApplied = 0;

  private readonly trx: Kysely<ServerSchema>;
  private readonly caller: CallerIdentity;
  private readonly receivedAt: string;

  constructor(trx: Kysely<ServerSchema>, caller: CallerIdentity, receivedAt: string) {
    this.trx = trx;
    this.caller = caller;
    this.receivedAt = receivedAt;
  }

  /** Reads what the batch refers to in a few queries instead of one per item. */
  async preload(request: PushRequest): Promise<void> {
    const attemptIds = new Set<string>();
    const clientCodes = new Set<string>();
    for (const item of request.items) {
      if (item.kind === 'attempt') {
        attemptIds.add(item.record.id);
        clientCodes.add(item.record.clientCode);
      } else attemptIds.add(item.record.attemptId);
    }
    for (const ids of chunk([...attemptIds], 500)) {
      for (const row of await this.trx.selectFrom('attempts').selectAll().where('id', 'in', ids).execute()) this.attempts.set(row.id, row);
      for (const row of await this.trx.selectFrom('voids').selectAll().where('attempt_id', 'in', ids).execute()) this.voids.set(row.attempt_id, row);
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

  private async storedVoid(attemptId: string): Promise<Selectable<VoidTable> | undefined> {
    const known = this.voids.get(attemptId);
    if (known) return known;
    const row = await this.trx.selectFrom('voids').selectAll().where('attempt_id', '=', attemptId).executeTakeFirst();
    if (row) this.voids.set(attemptId, row);
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
   * Inserts, in a few multi-row statements, the attempts of the batch that look new (unknown id,
   * known client, first time in the batch). Which ones really went in is decided by the database
   * (ON CONFLICT DO NOTHING … RETURNING); attempt() then gives each item its outcome in order.
   */
  async insertNewAttempts(records: AttemptRecord[]): Promise<void> {
    const fresh = new Map<string, Selectable<AttemptTable>>();
    for (const record of records) {
      if (this.attempts.has(record.id) || fresh.has(record.id) || !this.clients.has(record.clientCode)) continue;
      fresh.set(record.id, this.attemptRow(record));
    }
    for (const rows of chunk([...fresh.values()], pushLimits.maxItems)) {
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

  private readonly insertedNow = new Set<string>();

  async attempt(record: AttemptRecord): Promise<PushItemResult> {
    const result = (outcome: PushItemResult['outcome'], error?: PushItemResult['error']): PushItemResult =>
      error ? { kind: 'attempt', id: record.id, outcome, error } : { kind: 'attempt', id: record.id, outcome };
    if (this.insertedNow.delete(record.id)) {
      this.changes.push({ kind: 'attempt', ref: record.id });
      this.attemptsApplied += 1;
      return result('applied');
    }
    // Known before, sent twice in this batch, or stored by a concurrent request meanwhile.
    const existing = await this.storedAttempt(record.id);
    if (existing) return this.compareAttempt(existing, record, result);
    if (!this.clients.has(record.clientCode)) return result('rejected', itemError('client.unknown', record.clientCode));
    throw new Error(`attempt ${record.id} neither inserted nor found`);
  }

  private compareAttempt(
    row: Selectable<AttemptTable>,
    record: AttemptRecord,
    result: (outcome: PushItemResult['outcome'], error?: PushItemResult['error']) => PushItemResult,
  ): PushItemResult {
    return sameAttempt(row, record, this.caller.agentId)
      ? result('duplicate')
      : result('rejected', itemError('attempt.conflict', record.id));
  }

  async void(record: VoidRecord): Promise<PushItemResult> {
    const result = (outcome: PushItemResult['outcome'], error?: PushItemResult['error']): PushItemResult =>
      error ? { kind: 'void', id: record.attemptId, outcome, error } : { kind: 'void', id: record.attemptId, outcome };
    const attempt = await this.storedAttempt(record.attemptId);
    if (!attempt) return result('rejected', itemError('attempt.unknown', record.attemptId));
    // Only the attempt's author may void it, as on the device (attempt.notAuthor there).
    if (attempt.agent_id !== this.caller.agentId) {
      return result('rejected', itemError('agent.mismatch', `attempt ${record.attemptId} was recorded by another agent`));
    }
    const existing = await this.storedVoid(record.attemptId);
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
    const inserted = await this.trx.insertInto('voids').values(row).onConflict((oc) => oc.column('attempt_id').doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
      this.voids.delete(record.attemptId);
      const raced = await this.storedVoid(record.attemptId);
      if (!raced) throw new Error(`void of ${record.attemptId} neither inserted nor found`);
      return this.compareVoid(raced, record, result);
    }
    this.voids.set(record.attemptId, row);
    this.changes.push({ kind: 'void', ref: record.attemptId });
    this.voidsApplied += 1;
    return result('applied');
  }

  private compareVoid(
    row: Selectable<VoidTable>,
    record: VoidRecord,
    result: (outcome: PushItemResult['outcome'], error?: PushItemResult['error']) => PushItemResult,
  ): PushItemResult {
    return sameVoid(row, record, this.caller.agentId)
      ? result('duplicate')
      : result('rejected', itemError('attempt.conflict', `attempt ${record.attemptId} is already voided differently`));
  }
}

async function recordDevice(
  trx: Kysely<ServerSchema>,
  deviceId: string,
  agentId: string,
  at: string,
  counts: { attempts: number; voids: number },
): Promise<void> {
  await trx
    .insertInto('devices')
    .values({ id: deviceId, agent_id: agentId, first_seen: at, last_seen: at, attempts_pushed: counts.attempts, voids_pushed: counts.voids })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        agent_id: agentId,
        last_seen: at,
        attempts_pushed: eb('devices.attempts_pushed', '+', counts.attempts),
        voids_pushed: eb('devices.voids_pushed', '+', counts.voids),
      })),
    )
    .execute();
}

/**
 * The body of a push inside a caller-owned transaction: exported so that tests can hold the
 * transaction open and prove that pulls stay in commit order.
 */
export async function applyPushInTransaction(
  trx: Kysely<ServerSchema>,
  caller: CallerIdentity,
  request: PushRequest,
  receivedAt: string,
): Promise<PushItemResult[]> {
  const batch = new PushBatch(trx, caller, receivedAt);
  await batch.preload(request);
  await batch.insertNewAttempts(request.items.flatMap((item) => (item.kind === 'attempt' ? [item.record] : [])));
  const results: PushItemResult[] = [];
  for (const item of request.items) {
    results.push(item.kind === 'attempt' ? await batch.attempt(item.record) : await batch.void(item.record));
  }
  await recordDevice(trx, request.deviceId, caller.agentId, receivedAt, { attempts: batch.attemptsApplied, voids: batch.voidsApplied });
  await appendChanges(trx, batch.changes);
  return results;
}

export async function applyPush(sdb: ServerDatabase, caller: CallerIdentity, request: PushRequest, now: Date): Promise<Omit<PushResponse, 'serverEpoch'>> {
  checkAttribution(caller, request);
  const receivedAt = now.toISOString();
  const results = await writeTransaction(sdb, (trx) => applyPushInTransaction(trx, caller, request, receivedAt));
  return { results, serverTime: receivedAt };
}

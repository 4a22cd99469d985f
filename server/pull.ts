// GET /v1/changes: what changed since the device's cursor, in commit order (storage/changes.ts).

import type { Kysely } from 'kysely';
import type { ChangeItem, ClientRecord, PullResponse } from '../contract/sync-protocol.ts';
import type { DeclarableChangeKind } from '../contract/enums.ts';
import { readChangesAfter } from './storage/changes.ts';
import type { ServerSchema } from './storage/schema.ts';

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

async function loadClients(db: Kysely<ServerSchema>, codes: string[]): Promise<Map<string, ClientRecord>> {
  const found = new Map<string, ClientRecord>();
  for (const part of chunk(codes, 500)) {
    const rows = await db.selectFrom('clients').selectAll().where('code', 'in', part).execute();
    for (const r of rows) {
      found.set(r.code, {
        code: r.code,
        name: r.name,
        phones: JSON.parse(r.phones) as string[],
        email: r.email,
        city: r.city,
        address: r.address,
        extra: JSON.parse(r.extra) as Record<string, string>,
        updatedAt: r.updated_at,
      });
    }
  }
  return found;
}

type AttemptChange = Extract<ChangeItem, { kind: 'attempt' }>['record'];
type VoidChange = Extract<ChangeItem, { kind: 'void' }>['record'];

async function loadAttempts(db: Kysely<ServerSchema>, ids: string[]): Promise<Map<string, AttemptChange>> {
  const found = new Map<string, AttemptChange>();
  for (const part of chunk(ids, 500)) {
    const rows = await db
      .selectFrom('attempts')
      .leftJoin('attempt_reasons', 'attempt_reasons.attempt_id', 'attempts.id')
      .selectAll('attempts')
      .select('attempt_reasons.code as reason')
      .where('attempts.id', 'in', part)
      .execute();
    for (const r of rows) {
      found.set(r.id, {
        id: r.id,
        clientCode: r.client_code,
        agentId: r.agent_id,
        agentName: r.agent_name,
        occurredAt: r.occurred_at,
        utcOffsetMin: Number(r.utc_offset_min),
        status: r.status,
        channel: r.channel,
        note: r.note,
        deviceId: r.device_id,
        receivedAt: r.received_at,
        // Only once there is one: an attempt without a reason reads exactly as before the feature.
        ...(r.reason === null ? {} : { reason: r.reason }),
      });
    }
  }
  return found;
}

async function loadVoids(db: Kysely<ServerSchema>, ids: string[]): Promise<Map<string, VoidChange>> {
  const found = new Map<string, VoidChange>();
  for (const part of chunk(ids, 500)) {
    const rows = await db.selectFrom('voids').selectAll().where('attempt_id', 'in', part).execute();
    for (const r of rows) {
      found.set(r.attempt_id, {
        attemptId: r.attempt_id,
        agentId: r.agent_id,
        agentName: r.agent_name,
        voidedAt: r.voided_at,
        utcOffsetMin: Number(r.utc_offset_min),
        reason: r.reason,
        kind: r.kind,
        deviceId: r.device_id,
        receivedAt: r.received_at,
      });
    }
  }
  return found;
}

type CallbackChange = Extract<ChangeItem, { kind: 'callback' }>['record'];

async function loadCallbacks(db: Kysely<ServerSchema>, ids: string[]): Promise<Map<string, CallbackChange>> {
  const found = new Map<string, CallbackChange>();
  for (const part of chunk(ids, 500)) {
    const rows = await db.selectFrom('callback_events').selectAll().where('id', 'in', part).execute();
    for (const r of rows) {
      found.set(r.id, {
        id: r.id,
        callbackId: r.callback_id,
        event: r.event,
        clientCode: r.client_code,
        dueAt: r.due_at,
        forAgentId: r.for_agent_id,
        attemptId: r.attempt_id,
        agentId: r.agent_id,
        agentName: r.agent_name,
        at: r.at,
        utcOffsetMin: Number(r.utc_offset_min),
        deviceId: r.device_id,
        receivedAt: r.received_at,
      });
    }
  }
  return found;
}

type AgentStateChange = Extract<ChangeItem, { kind: 'agentState' }>['record'];

/** The agent as it stands now: every entry of an agent sends its current state (the latest wins on the desk). */
async function loadAgentStates(db: Kysely<ServerSchema>, ids: string[]): Promise<Map<string, AgentStateChange>> {
  const found = new Map<string, AgentStateChange>();
  for (const part of chunk([...new Set(ids)], 500)) {
    const rows = await db.selectFrom('agents').select(['id', 'login', 'name', 'disabled_at', 'created_at', 'updated_at']).where('id', 'in', part).execute();
    for (const r of rows) {
      found.set(r.id, { agentId: r.id, login: r.login, name: r.name, disabled: r.disabled_at !== null, at: r.updated_at ?? r.created_at });
    }
  }
  return found;
}

export async function readChanges(
  db: Kysely<ServerSchema>,
  cursor: string,
  limit: number,
  now: Date,
  declared: readonly DeclarableChangeKind[] = [],
): Promise<Omit<PullResponse, 'serverEpoch'>> {
  const rows = await readChangesAfter(db, cursor, limit + 1, declared);
  const page = rows.slice(0, limit);
  const refs = (kind: string) => page.filter((r) => r.kind === kind).map((r) => r.ref);
  const [clients, attempts, voids, callbacks, agentStates] = await Promise.all([
    loadClients(db, refs('client')),
    loadAttempts(db, refs('attempt')),
    loadVoids(db, refs('void')),
    loadCallbacks(db, refs('callback')),
    loadAgentStates(db, refs('agentState')),
  ]);
  const changes: ChangeItem[] = [];
  for (const row of page) {
    // Rows are never deleted, and the change row commits with its record: every ref resolves.
    if (row.kind === 'client') {
      const record = clients.get(row.ref);
      if (record) changes.push({ kind: 'client', record });
    } else if (row.kind === 'attempt') {
      const record = attempts.get(row.ref);
      if (record) changes.push({ kind: 'attempt', record });
    } else if (row.kind === 'void') {
      const record = voids.get(row.ref);
      if (record) changes.push({ kind: 'void', record });
    } else if (row.kind === 'agentState') {
      const record = agentStates.get(row.ref);
      if (record) changes.push({ kind: 'agentState', record });
    } else {
      const record = callbacks.get(row.ref);
      if (record) changes.push({ kind: 'callback', record });
    }
  }
  const last = page.at(-1);
  return {
    changes,
    nextCursor: last ? last.seq : BigInt(cursor).toString(),
    hasMore: rows.length > limit,
    serverTime: now.toISOString(),
  };
}

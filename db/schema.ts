// Row shapes of the local database, as Kysely sees them. Times are UTC ISO 8601 strings with
// milliseconds ('2026-11-26T09:30:00.000Z'), which sort the same as text and as time.

import type { Generated } from 'kysely';
import type { AgentEventKind, CallbackEventCode, PushRecordKind } from '../contract/enums.ts';

export interface MetaTable {
  key: string;
  value: string;
}

export interface ClientTable {
  code: string;
  name: string;
  /** JSON array of the phone numbers as written in the source. */
  phones: string;
  email: string | null;
  city: string | null;
  address: string | null;
  /** JSON object of imported columns that have no field of their own. */
  extra: string;
  /** Folded name, for ordering and prefix search. */
  name_key: string;
  /** Folded name, code, phone digits, email and city: what the trigram index searches. */
  search_text: string;
  last_status: 'success' | 'failure' | null;
  last_attempt_at: string | null;
  last_attempt_id: string | null;
  last_agent_id: string | null;
  last_agent_name: string | null;
  attempt_count: Generated<number>;
  /** Kept by triggers (migration 0013): the wait of the last attempt's retry rule, NULL out of the queue. */
  retry_wait_min: number | null;
  /** When the failure comes due again (last attempt + wait), NULL out of the queue. */
  retry_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The retry rules the queue's triggers read (migration 0013), copied from the reason list by db/queue.ts. */
export interface QueueRuleTable {
  /** '' : a failure without a reason, or with one that is not among the list's failures. */
  reason_code: string;
  /** NULL: the reason stops the client. */
  wait_min: number | null;
  max_attempts: number | null;
}

export interface AttemptTable {
  id: string;
  client_code: string;
  agent_id: string;
  agent_name: string;
  occurred_at: string;
  utc_offset_min: number;
  status: 'success' | 'failure';
  channel: string;
  note: string | null;
  device_id: string;
}

export interface VoidTable {
  attempt_id: string;
  agent_id: string;
  agent_name: string;
  voided_at: string;
  utc_offset_min: number;
  reason: string;
  kind: 'undo' | 'void';
  device_id: string;
}

/** Why an attempt ended (migration 0008): one per attempt, never changed. */
export interface AttemptReasonTable {
  attempt_id: string;
  code: string;
  chosen_at: string;
  utc_offset_min: number;
}

/** One event of a call-back (migration 0009), made here or pulled; never changed. */
export interface CallbackEventTable {
  id: string;
  callback_id: string;
  event: CallbackEventCode;
  client_code: string;
  due_at: string | null;
  for_agent_id: string | null;
  attempt_id: string | null;
  agent_id: string;
  agent_name: string;
  at: string;
  utc_offset_min: number;
  device_id: string;
}

/** A call-back as the worklist reads it, kept by triggers from its events. */
export interface CallbackTable {
  callback_id: string;
  client_code: string;
  due_at: string;
  /** null: the whole team's. */
  for_agent_id: string | null;
  scheduled_by_name: string;
  state: 'open' | 'done' | 'cancelled';
  closed_at: string | null;
}

export interface OutboxTable {
  seq: Generated<number>;
  kind: PushRecordKind;
  record_id: string;
  /** JSON of the record as the sync protocol sends it. */
  payload: string;
  created_at: string;
  state: 'pending' | 'dead';
  tries: Generated<number>;
  last_error: string | null;
  failed_at: string | null;
}

/** Pulled records waiting for the client or attempt they refer to (db/sync-apply.ts). */
export interface SyncParkedTable {
  kind: 'attempt' | 'void';
  record_id: string;
  /** The client code (for an attempt) or attempt id (for a void) that must arrive first. */
  waits_for: string;
  payload: string;
  parked_at: string;
}

/** Kept by triggers on clients (migration 0003): what sorting and filtering a search reads. */
export interface ClientOrderTable {
  client_rowid: number;
  name_key: string;
  code: string;
  last_status: 'success' | 'failure' | null;
}

/**
 * Clients whose current search text the trigram index does not hold yet (migration 0015,
 * db/search-backlog.ts), with the text it holds for them: NULL when none (imported since).
 */
export interface ClientsFtsPendingTable {
  client_rowid: number;
  indexed_text: string | null;
}

/** Pulled records this version could not read, kept for a later version (db/sync-unknown.ts). */
export interface SyncUnknownTable {
  seq: Generated<number>;
  kind: string;
  /** The change item exactly as it came, JSON. */
  payload: string;
  /** Why it could not be read, for the logs and the settings page. */
  problem: string;
  /** The app version that set it aside: a different version reads it again. */
  app_version: string;
  received_at: string;
}

/** A local agent profile of this workstation (db/agent-profiles.ts). */
export interface AgentProfileTable {
  id: string;
  name: string;
  /** scrypt verifier of the PIN (never the PIN); null until the agent chooses one. */
  pin_verifier: string | null;
  /** JSON list of ids this agent recorded under before (see adoptServerAgent). */
  former_ids: Generated<string>;
  failed_sign_ins: Generated<number>;
  blocked_until: string | null;
  created_at: string;
}

export interface AgentEventTable {
  seq: Generated<number>;
  /** uuid v7, the record's id on the wire ('legacy-N' for rows from before migration 0014, never sent). */
  id: string;
  at: string;
  kind: AgentEventKind;
  agent_id: string | null;
  agent_name: string;
  /** The login as typed, for a server sign-in (bounded); null for local profiles. */
  login: Generated<string | null>;
  /** 1: decided by the desk alone (offline verifier), the server was not asked. */
  offline: Generated<number>;
  /** When the server took it (feature 'record.agentEvent'); null: still to push. */
  sent_at: Generated<string | null>;
}

/** The token a server agent got at an online sign-in on this desk (db/agent-sign-in.ts). */
export interface AgentTokenTable {
  agent_id: string;
  /** Sealed like the device token: base64 of the keychain's sealing, or plain when storage is 'plain'. */
  token: string;
  token_storage: 'safeStorage' | 'plain';
  issued_at: string;
}

/** What lets a server agent sign in here while the server is out of reach (db/agent-sign-in.ts). */
export interface AgentVerifierTable {
  agent_id: string;
  /** contract/sign-in.ts normaliseLogin. */
  login: string;
  name: string;
  /** `scrypt$N$r$p$salt$key` of the secret (db/agent-profiles.ts pinVerifier), never the secret. */
  verifier: string;
  verified_online_at: string;
  offline_days: number;
  failed_sign_ins: Generated<number>;
  blocked_until: string | null;
}

export interface Database {
  meta: MetaTable;
  clients: ClientTable;
  attempts: AttemptTable;
  voids: VoidTable;
  attempt_reasons: AttemptReasonTable;
  queue_rules: QueueRuleTable;
  callback_events: CallbackEventTable;
  callbacks: CallbackTable;
  outbox: OutboxTable;
  sync_parked: SyncParkedTable;
  sync_unknown: SyncUnknownTable;
  client_order: ClientOrderTable;
  clients_fts_pending: ClientsFtsPendingTable;
  agent_profiles: AgentProfileTable;
  agent_events: AgentEventTable;
  agent_tokens: AgentTokenTable;
  agent_verifiers: AgentVerifierTable;
}

// Row shapes of the central server's database, as Kysely sees them. The same tables on SQLite and
// PostgreSQL: times are UTC ISO 8601 text with milliseconds, so they compare and sort alike on both.

import type { ColumnType } from 'kysely';
import type { AgentEventKind, AgentEventSource, ChangeKind, ConsoleAuditAction, ConsoleRole, TokenKind } from '../../contract/enums.ts';
import type { CallbackEventTable as DeskCallbackEventTable } from '../../db/schema.ts';

export interface AgentTable {
  id: string;
  name: string;
  created_at: string;
  /** Set by the console: the agent's tokens are revoked with it and no code is issued for it. */
  disabled_at: ColumnType<string | null, string | null | undefined, string | null>;
  /** contract/sign-in.ts normaliseLogin; unique once set; null for agents made before logins existed. */
  login: ColumnType<string | null, string | null | undefined, string | null>;
  /** scrypt (console/passwords.ts) of the agent's PIN or password; null: cannot sign in yet. */
  secret_hash: ColumnType<string | null, string | null | undefined, string | null>;
  secret_set_at: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the state desks pull as 'agentState' last changed (null: created_at). */
  updated_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface TokenTable {
  id: string;
  /** sha256 of the token, hex. The token itself is shown once to the administrator and never stored. */
  hash: string;
  /** The token's first characters, so an administrator can tell tokens apart and revoke one. */
  prefix: string;
  /** Null for a device token. */
  agent_id: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  kind: ColumnType<TokenKind, TokenKind | undefined, TokenKind>;
  /** The desk a device token, or an agent token from sign-in, is bound to; null: usable from any desk. */
  device_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A device enrolment code (console Postes, "Inscrire un poste"): single use, expiring, no agent. */
export interface DeviceEnrolmentCodeTable {
  code_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  token_id: string | null;
  device_id: string | null;
}

/** Who signed in, out, locked or failed at a desk: pushed by desks, written by POST /v1/sign-in. Append-only. */
export interface AgentEventTable {
  id: string;
  at: string;
  received_at: string;
  source: AgentEventSource;
  kind: AgentEventKind;
  agent_id: string | null;
  /** As typed (bounded) for a failed sign-in; the agent's login otherwise. */
  login: string | null;
  device_id: string;
  /** 0 or 1. */
  offline: number;
  /** Server rows: why a sign-in failed ('invalid' | 'disabled' | 'throttled'). */
  detail: string | null;
  /** Server rows: the caller's address. */
  address: string | null;
  /** The token that pushed or obtained it. */
  token_id: string | null;
}

/** One row per device and agent seen on it (push, pull or /v1/me). */
export interface DeviceAgentTable {
  device_id: string;
  agent_id: string;
  first_seen: string;
  last_seen: string;
  /** bigint: read through Number(). */
  attempts_pushed: number | string;
  voids_pushed: number | string;
}

/** Shared rate-limit counters (server/rate-store.ts). */
export interface RateCounterTable {
  key: string;
  count: number | string;
  window_ends_ms: number | string;
}

export interface ClientTable {
  code: string;
  name: string;
  /** JSON array of phone numbers. */
  phones: string;
  email: string | null;
  city: string | null;
  address: string | null;
  /** JSON object of the extra imported columns. */
  extra: string;
  created_at: string;
  updated_at: string;
  /** Folded name, code and phone digits (console/search-text.ts): the console's client filter. */
  search_text: ColumnType<string, string | undefined, string>;
  /** The synthetic status, kept in the push's transaction by the desk's code (client-status.ts). */
  last_status: ColumnType<'success' | 'failure' | null, 'success' | 'failure' | null | undefined>;
  last_attempt_at: ColumnType<string | null, string | null | undefined>;
  last_attempt_id: ColumnType<string | null, string | null | undefined>;
  last_agent_id: ColumnType<string | null, string | null | undefined>;
  last_agent_name: ColumnType<string | null, string | null | undefined>;
  /** Non-voided attempts. */
  attempt_count: ColumnType<number, number | undefined>;
  /** Failures in a row at the head of the non-voided history. */
  failure_streak: ColumnType<number, number | undefined>;
}

export interface AttemptTable {
  id: string;
  client_code: string;
  /** Always the server agent of the token that pushed it. */
  agent_id: string;
  agent_name: string;
  occurred_at: string;
  utc_offset_min: number;
  status: 'success' | 'failure';
  channel: string;
  note: string | null;
  device_id: string;
  /** The agentId as the device sent it ('local:…' before enrolment), kept for audit. */
  sent_agent_id: string;
  /** The server's own receipt time. */
  received_at: string;
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
  sent_agent_id: string;
  received_at: string;
}

/** Why an attempt ended (feature 'attempt.reason'); one per attempt, never changed. */
export interface AttemptReasonTable {
  attempt_id: string;
  code: string;
  agent_id: string;
  agent_name: string;
  chosen_at: string;
  utc_offset_min: number;
  device_id: string;
  sent_agent_id: string;
  received_at: string;
}

/** One event of a call-back (feature 'record.callback'): the desk's row, and what the server adds. */
export interface CallbackEventTable extends DeskCallbackEventTable {
  sent_agent_id: string;
  received_at: string;
}

/** A reason logs its attempt again ('attempt'): the pull sends the attempt with its reason. */
export type { ChangeKind } from '../../contract/enums.ts';

/** The change log that pulls read, in commit order (see changes.ts). */
export interface ChangeTable {
  /** bigint: PostgreSQL hands it back as a string, SQLite as a number; always read through Number(). */
  seq: number | string;
  kind: ChangeKind;
  /** Client code, attempt id, or the voided attempt's id. */
  ref: string;
}

/** One row, 'changes': the last sequence number handed out. Its row lock orders the writers. */
export interface CounterTable {
  name: string;
  value: number | string;
}

/** One row: this database's identity (docs/sync-protocol.md, "Server epoch"). */
export interface ServerIdentityTable {
  id: number;
  epoch: string;
  created_at: string;
}

export interface DeviceReportTable {
  device_id: string;
  app_version: string;
  outbox_pending: number;
  dead_letters: number;
  /** JSON: [{ reason, count }], most frequent first. */
  dead_letter_reasons: string;
  reported_at: string;
}

export interface ConsoleUserTable {
  id: string;
  login: string;
  role: ConsoleRole;
  /** scrypt$N$r$p$salt$key (console/passwords.ts); never logged, never shown. */
  password_hash: string;
  created_at: string;
  disabled_at: string | null;
}

export interface ConsoleSessionTable {
  /** sha256 of the cookie's random value: a database read gives no usable session. */
  id_hash: string;
  user_id: string;
  /** The synchronizer token every changing form carries. */
  csrf: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** Failed sign-ins per login and per address ('login:…', 'ip:…'), shared by every instance. */
export interface ConsoleThrottleTable {
  key: string;
  failures: number;
  window_start: string;
  blocked_until: string | null;
}

export interface ConsoleAuditTable {
  id: string;
  at: string;
  user_id: string;
  user_login: string;
  action: ConsoleAuditAction;
  /** What was changed: an agent, user or token id. */
  target: string;
  /** JSON object; never a secret (no token, no code, no password). */
  details: string;
}

export interface EnrolmentCodeTable {
  /** sha256 of the normalised code: the code itself is shown once. */
  code_hash: string;
  agent_id: string;
  /** Console user id of who issued it. */
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  /** The token it was exchanged for. */
  token_id: string | null;
}

/** Non-voided attempts per UTC hour ("2026-11-25T08"), agent (and the name it pushed with) and status (server/attempt-tallies.ts). */
export interface AttemptTallyAgentTable {
  hour: string;
  agent_id: string;
  agent_name: string;
  status: string;
  n: number;
}

/** Non-voided attempts per UTC hour, channel and status. */
export interface AttemptTallyChannelTable {
  hour: string;
  channel: string;
  status: string;
  n: number;
}

/** How many clients have `streak` failures in a row (streak ≥ 1): the dashboard's "last N all failed" count. */
export interface ClientStreakCountTable {
  streak: number;
  clients: number;
}

export interface ServerSchema {
  console_users: ConsoleUserTable;
  console_sessions: ConsoleSessionTable;
  console_throttle: ConsoleThrottleTable;
  console_audit: ConsoleAuditTable;
  enrolment_codes: EnrolmentCodeTable;
  device_enrolment_codes: DeviceEnrolmentCodeTable;
  agent_events: AgentEventTable;
  server_identity: ServerIdentityTable;
  device_reports: DeviceReportTable;
  agents: AgentTable;
  tokens: TokenTable;
  device_agents: DeviceAgentTable;
  rate_counters: RateCounterTable;
  clients: ClientTable;
  attempts: AttemptTable;
  voids: VoidTable;
  attempt_reasons: AttemptReasonTable;
  callback_events: CallbackEventTable;
  changes: ChangeTable;
  counters: CounterTable;
  attempt_tally_agents: AttemptTallyAgentTable;
  attempt_tally_channels: AttemptTallyChannelTable;
  client_streak_counts: ClientStreakCountTable;
}

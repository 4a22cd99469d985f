// One source of truth for every enumeration that crosses a boundary. Zod schemas, SQL CHECKs of new
// migrations and TypeScript unions are derived from these tuples; nothing else spells the values.
// No zod here: the renderer and the preload read these without bundling the schemas.

/** Result of one attempt. The client's synthetic status adds 'never'. */
export const attemptStatuses = ['success', 'failure'] as const;
export type AttemptStatusCode = (typeof attemptStatuses)[number];

export const clientStatuses = ['never', ...attemptStatuses] as const;

/** 'undo': taken back by its author within seconds; 'void': cancelled later, with a reason. */
export const voidKinds = ['undo', 'void'] as const;
export type VoidKindCode = (typeof voidKinds)[number];

/** What a device pushes (its outbox) and what a server sends back (its change log). */
/** 'reason': why an attempt ended as it did, its own small record (docs/sync-protocol.md, feature 'attempt.reason'). */
/** 'agentEvent': who signed in, out, locked or failed at a desk (feature 'record.agentEvent'); never pulled back. */
export const pushRecordKinds = ['attempt', 'void', 'reason', 'callback', 'agentEvent'] as const;
export type PushRecordKind = (typeof pushRecordKinds)[number];
/** 'agentState': a server agent created, renamed, disabled or re-enabled (feature 'record.agentState'). */
export const changeKinds = ['client', 'attempt', 'void', 'callback', 'agentState'] as const;

/**
 * Pulled kinds beyond the baseline (client, attempt, void): a device names those it reads in the
 * `x-desk-kinds` header, and a server sends it no other (docs/sync-protocol.md).
 */
export const declarableChangeKinds = ['callback', 'agentState'] as const;
export type DeclarableChangeKind = (typeof declarableChangeKinds)[number];

/** What happens to a call-back: each is its own append-only record (a call-back event). */
export const callbackEvents = ['scheduled', 'done', 'cancelled'] as const;
export type CallbackEventCode = (typeof callbackEvents)[number];
export type ChangeKind = (typeof changeKinds)[number];

/** Well-known channels; any short free text is accepted too, as in the original need. */
export const knownChannels = ['phone', 'whatsapp', 'email', 'sms', 'visit'] as const;
export type KnownChannel = (typeof knownChannels)[number];

/** What the sync engine tells the agent about the server it talks to (docs/sync-protocol.md). */
export const syncNoticeCodes = ['server.changed', 'server.restored'] as const;
export type SyncNoticeCode = (typeof syncNoticeCodes)[number];

/** Settings the site's policy can fix (main/policy.ts): shown locked in Paramètres. */
export const policyLockedSettings = ['locale', 'singleKeyShortcuts', 'serverUrl'] as const;
export type PolicyLockedSetting = (typeof policyLockedSettings)[number];

/** What the history export writes: an Excel workbook, or a CSV. */
export const exportFormats = ['xlsx', 'csv'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/**
 * What the desk's own agent journal records about who was at the keyboard (db/agent-profiles.ts), and
 * what the server keeps of it (agent_events, feature 'record.agentEvent'). 'unlock' came with issue 9:
 * a CHECK written from this list before then does not hold it, so a migration that needs it rebuilds
 * its CHECK from this tuple.
 */
export const agentEventKinds = ['signIn', 'signOut', 'lock', 'unlock', 'signInFailed'] as const;
export type AgentEventKind = (typeof agentEventKinds)[number];

/** Who wrote a server agent_events row: a desk (pushed agentEvent record) or the server itself (POST /v1/sign-in). */
export const agentEventSources = ['desk', 'server'] as const;
export type AgentEventSource = (typeof agentEventSources)[number];

/** What an agent signs in with on a site's desks (server setting --agent-secret). */
export const agentSecretKinds = ['pin', 'password'] as const;
export type AgentSecretKind = (typeof agentSecretKinds)[number];

/** What an access token stands for: an agent (enrolment code or sign-in), or a desk with nobody signed in. */
export const tokenKinds = ['agent', 'device'] as const;
export type TokenKind = (typeof tokenKinds)[number];

/** `'a', 'b'` for a CHECK (column IN (…)) of a migration. Values are code constants, never input. */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');
}

/** Narrows an unknown string to a tuple's values: for readers meeting a newer writer's data. */
export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** People of the supervision console: 'admin' everything, 'supervisor' reads and manages agents and
 * devices, 'auditor' reads and exports only. */
export const consoleRoles = ['admin', 'supervisor', 'auditor'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];

/** What the console's own audit log records: every change made through it. */
export const consoleAuditActions = [
  'user.create',
  'user.disable',
  'agent.create',
  'agent.disable',
  'agent.enable',
  'agent.setSecret',
  'token.revoke',
  'enrolment.issue',
  'enrolment.use',
  'device.enrolmentIssue',
  'device.enrolmentUse',
] as const;
export type ConsoleAuditAction = (typeof consoleAuditActions)[number];

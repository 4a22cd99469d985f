// The business objects as every process sees them. Plain data: they cross IPC and HTTP unchanged.

import type { Locale } from './errors.ts';
import type { ReasonDefinition } from './reasons.ts';

import type { AgentSecretKind, AttemptStatusCode, ExportFormat as ExportFormatCode, KnownChannel, PolicyLockedSetting, PushRecordKind, SyncNoticeCode, VoidKindCode } from './enums.ts';

/** Result of one notification attempt. */
export type AttemptStatus = AttemptStatusCode;

/** Synthetic status of a client, from its latest non-voided attempt. */
export type ClientStatus = 'never' | AttemptStatus;

export type StatusFilter = 'all' | ClientStatus;

export { knownChannels, type KnownChannel } from './enums.ts';
export const defaultChannel: KnownChannel = 'phone';

export interface Agent {
  id: string;
  name: string;
}

export interface ClientSummary {
  code: string;
  name: string;
  phones: string[];
  city: string | null;
  status: ClientStatus;
  lastAttemptAt: string | null;
  lastAgentName: string | null;
  attemptCount: number;
}

export interface Client extends ClientSummary {
  email: string | null;
  address: string | null;
  /** Columns kept from imports that have no field of their own. */
  extra: Record<string, string>;
  lastAgentId: string | null;
  lastAttemptId: string | null;
  updatedAt: string;
}

export interface ClientPage {
  items: ClientSummary[];
  /** Number of matches, counted up to `totalCap`; `totalIsCapped` says the real number is larger. */
  total: number;
  totalIsCapped: boolean;
  offset: number;
}

export interface AttemptVoid {
  at: string;
  agentId: string;
  agentName: string;
  reason: string;
  /** 'undo': taken back by its author within seconds; 'void': cancelled later, with a reason. */
  kind: VoidKindCode;
}

export interface Attempt {
  id: string;
  clientCode: string;
  agentId: string;
  agentName: string;
  /** When it happened, UTC ISO 8601 with milliseconds. */
  occurredAt: string;
  /** The device's offset from UTC at that moment, in minutes (Paris in summer: 120). */
  utcOffsetMin: number;
  status: AttemptStatus;
  channel: string;
  note: string | null;
  deviceId: string;
  /** Why it ended so (a code of the reason list, maybe one this desk does not know); null: none given. */
  reason: string | null;
  void: AttemptVoid | null;
}

/** The quick choices of "Rappeler…", read in the desk's local time. */
export const callbackQuickChoices = ['in1h', 'afternoon', 'tomorrowMorning'] as const;
export type CallbackQuickChoice = (typeof callbackQuickChoices)[number];
/** "Cet après-midi" is 14:00 today: offered until 13:30. "Demain matin" is 9:00 tomorrow. */
export const callbackTimes = { afternoonHour: 14, afternoonUntilMinutes: 13 * 60 + 30, morningHour: 9 } as const;

export interface CallbackItem {
  callbackId: string;
  clientCode: string;
  clientName: string;
  dueAt: string;
  /** null: for the whole team. */
  forAgentId: string | null;
  /** Scheduled for this agent. */
  mine: boolean;
  /** An agent's call-back still open long after it fell due: now the team's (the site's delay). */
  handedOver: boolean;
  scheduledBy: string;
}

/** The worklist "À rappeler": open call-backs this agent may take, in four groups, each by due time. */
export interface CallbackList {
  dueNow: CallbackItem[];
  overdue: CallbackItem[];
  laterToday: CallbackItem[];
  later: CallbackItem[];
  handoverMinutes: number;
}

/** The next client to call ("Client suivant") and why it comes now. */
export interface NextClient {
  code: string;
  /** 'callback': a call-back is due; 'never': never attempted; 'retry': a failure whose retry time has come. */
  why: 'callback' | 'never' | 'retry';
  /** When it fell due (the call-back's time, or the retry's); null for a client never attempted. */
  dueAt: string | null;
}

export interface AttemptOutcome {
  attempt: Attempt;
  client: Client;
}

export interface HistoryPage {
  items: Attempt[];
  /** Pass back as `before` to get the next (older) page; null at the end. */
  nextCursor: string | null;
}

export interface TodayCounts {
  attempts: number;
  successes: number;
  failures: number;
  /** Today's attempts by reason code, most frequent first; attempts without a reason are not listed. */
  byReason: { code: string; count: number }[];
}

export interface ImportRejectedLine {
  line: number;
  code: string;
  message: Record<Locale, string>;
}

export interface ImportReport {
  total: number;
  inserted: number;
  updated: number;
  rejected: ImportRejectedLine[];
  /** True when more rejected lines existed than are listed. */
  rejectedTruncated: boolean;
  /** True when the agent stopped it: the lines counted were committed, the rest of the file was not read. */
  cancelled?: boolean;
  /** The file's encoding as read (BOM, else UTF-8 if valid, else Windows-1252): the summary shows it. */
  encoding?: ImportEncoding;
  /**
   * Codes of the file that equal another code (of the file or the base) once their leading zeros
   * are stripped (`100400` and `0000100400`): two clients where Excel likely dropped the zeros.
   */
  lookalikes?: { count: number; examples: ImportLookalike[] };
}

export type ImportEncoding = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

export interface ImportLookalike {
  /** Physical line of the file holding `code`. */
  line: number;
  code: string;
  /** The other code, already in the base or earlier in the file. */
  other: string;
}

export interface ImportProgress {
  importId: string;
  /** Lines already committed: an interrupted import keeps them (db/import.ts). */
  linesCommitted?: number;
  linesRead: number;
  bytesRead: number;
  bytesTotal: number;
}

export interface HistoryExport {
  fileName: string;
  format: ExportFormatCode;
  /** The CSV's text, or the .xlsx workbook's bytes in base64 (IPC and the web bridge's JSON carry it alike). */
  content: string;
  rowCount: number;
}

/** A local agent profile, as the sign-in screen lists it. */
export interface AgentProfileView {
  id: string;
  name: string;
  /** False for the desk's agent from before profiles (or a demo one): they choose a PIN at sign-in. */
  hasPin: boolean;
}

/** A desk enrolled with a device credential: agents sign in against the server (issue 9). */
export interface ServerSignInView {
  secretKind: AgentSecretKind;
  offlineDays: number;
  /** Agents who signed in online on this desk, offered in the "Agent" field. */
  agents: { login: string; name: string }[];
  /** The signed-in agent's login, for the lock screen (null: a local profile or nobody). */
  login: string | null;
}

export interface AgentSession {
  profiles: AgentProfileView[];
  /** Present when agents sign in against the server (device enrolment) instead of local profiles. */
  server?: ServerSignInView;
  /** The signed-in agent stepped away (idle delay or request): their PIN unlocks. */
  locked: boolean;
  /** Idle minutes before the session locks; 0: never. */
  lockAfterMinutes: number;
}

export interface Settings {
  agent: Agent | null;
  deviceId: string;
  locale: Locale;
  singleKeyShortcuts: boolean;
  lastChannel: string;
  clientCount: number;
  /** Fixed by the site's policy (IT): shown but not editable. Absent: nothing is fixed. */
  lockedByPolicy?: PolicyLockedSetting[];
  /** After recording (once the undo window closes or a reason is given), open the next client by itself. */
  autoAdvance: boolean;
  /** The reasons the picker offers: the site's list once a server sent one, else the defaults. */
  reasons: ReasonDefinition[];
}

export type SyncPhase = 'disabled' | 'idle' | 'syncing' | 'offline' | 'error';

export interface DeadLetter {
  seq: number;
  kind: PushRecordKind;
  recordId: string;
  clientCode: string | null;
  reason: string;
  failedAt: string;
}

export interface SyncState {
  phase: SyncPhase;
  serverUrl: string | null;
  online: boolean;
  pending: number;
  deadLetters: number;
  lastSyncAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  /** Pulled records this version cannot read, kept for the next version (0 when none). */
  unknownRecords?: number;
  /** The last thing sync had to say about the server (a restore, another database), with its time. */
  notice?: { code: SyncNoticeCode; at: string } | null;
  /**
   * Agents whose records wait for them to sign in online again (no valid token of theirs on this
   * desk): their names, with how many records each. Absent or empty when nobody's records wait.
   */
  waitingFor?: { agentName: string; pending: number }[];
  /**
   * The desk's clock against the server's, from the last answer that carried `serverTime`:
   * `offsetMs` = desk − server (positive: the desk is ahead), measured at `at` (desk time).
   * Attempts keep the desk's time; past limits.clockSkewWarnMinutes the window warns the agent.
   */
  serverClock?: { offsetMs: number; at: string } | null;
}

export interface SyncSettingsView {
  serverUrl: string | null;
  hasToken: boolean;
  /** Where the token is kept: the OS keychain (safeStorage) or, lacking one, the local database. */
  tokenStorage: 'safeStorage' | 'plain' | 'none';
}

/**
 * The database process as the window sees it. 'restarting': it stopped unexpectedly and is being
 * started again (a call in flight may or may not have been saved); 'ready': it answers again;
 * 'unavailable': it could not be restarted.
 */
export interface DatabaseState {
  status: 'ready' | 'restarting' | 'unavailable';
  restarts: number;
  message: Record<Locale, string> | null;
}

/** Why the desk's base could not be opened at start, and what can be done (db/database-worker.ts). */
export interface StorageProblem {
  kind: 'damaged' | 'missing' | 'newerVersion';
  message: Record<Locale, string>;
  /** What SQLite or the file system said, for support. */
  details: string;
}

export interface BackupSummary {
  takenAt: string;
  bytes: number;
}

export interface StorageState {
  problem: StorageProblem | null;
  /** Backups this version can restore, newest first. */
  backups: BackupSummary[];
}

export interface RecoveryOutcome {
  /** When the backup restored was taken; null for a new empty base. */
  restoredFrom: string | null;
  /** Unsynced attempts and voids brought over from the base that was replaced. */
  outboxCarried: number;
  /** True when the replaced base's outbox could not be read (damaged): what it held is in the file set aside. */
  outboxUnreadable: boolean;
  /** Name of the replaced base, kept aside in the data folder. */
  setAside: string | null;
  state: StorageState;
}

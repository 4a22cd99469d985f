// The one list of operations the renderer may ask for. Each has an IPC channel, a run-time schema
// for its input (checked in main before anything runs) and a result type. Main, preload, the web
// bridge, the renderer and the tests all read this file; nothing else defines a channel.

import { z } from 'zod';
import { callbackQuickChoices } from './model.ts';
import type {
  AttemptOutcome,
  CallbackItem,
  CallbackList,
  NextClient,
  Client,
  ClientPage,
  DeadLetter,
  HistoryExport,
  HistoryPage,
  ImportReport,
  RecoveryOutcome,
  Settings,
  StorageState,
  SyncSettingsView,
  AgentSession,
  SyncState,
  TodayCounts,
} from './model.ts';
import type { Result } from './errors.ts';
import type { ChannelOperationName } from './channels.ts';
import { attemptStatuses, clientStatuses, exportFormats } from './enums.ts';
import { limits } from './limits.ts';
import { reasonCodeSchema } from './reason-schema.ts';
import { text } from './text-schema.ts';

// The limits live in a zod-free file so the renderer can read them without bundling zod.
export { limits } from './limits.ts';

const trimmed = (max: number) => text().trim().max(max);
const clientCode = text().trim().min(1).max(limits.clientCode);
const attemptId = z.uuid();
const isoDate = z.iso.datetime({ offset: true });
const day = z.iso.date();
// The message names the rule, never the value: a PIN must not reach a log.
const pin = z.string().regex(new RegExp(`^[0-9]{${limits.pinMin},${limits.pinMax}}$`), `${limits.pinMin} à ${limits.pinMax} chiffres / digits`);

export const schemas = {
  getSettings: z.strictObject({}),
  updateSettings: z.strictObject({
    agentName: trimmed(limits.agentName).min(1).optional(),
    locale: z.enum(['fr', 'en']).optional(),
    singleKeyShortcuts: z.boolean().optional(),
    lastChannel: trimmed(limits.channel).min(1).optional(),
    lockAfterMinutes: z.int().min(0).max(limits.lockAfterMinutesMax).optional(),
    autoAdvance: z.boolean().optional(),
  }),
  searchClients: z.strictObject({
    query: z.string().max(limits.query).default(''),
    status: z.enum(['all', ...clientStatuses]).default('all'),
    offset: z.int().min(0).max(1_000_000).default(0),
    limit: z.int().min(1).max(limits.pageSize).default(50),
  }),
  getClient: z.strictObject({ code: clientCode }),
  recordAttempt: z.strictObject({
    clientCode,
    status: z.enum(attemptStatuses),
    channel: trimmed(limits.channel).min(1).optional(),
    note: trimmed(limits.note).optional(),
    /** Picked before the click; never required. */
    reason: reasonCodeSchema.optional(),
  }),
  /** Picked right after the click, within the undo window: its own record, the attempt is not changed. */
  giveReason: z.strictObject({ attemptId, code: reasonCodeSchema }),
  undoAttempt: z.strictObject({ attemptId }),
  scheduleCallback: z.strictObject({
    clientCode,
    /** A quick choice schedules at once; a date and time comes from the dialog's field. */
    when: z.union([z.enum(callbackQuickChoices), z.strictObject({ at: isoDate })]),
    forTeam: z.boolean().default(false),
  }),
  cancelCallback: z.strictObject({ callbackId: z.uuid() }),
  listCallbacks: z.strictObject({}),
  /** exclude: the clients to pass over (the one open, skipped). */
  nextClient: z.strictObject({ exclude: z.array(clientCode).max(50).default([]) }),
  /** A call-back fell due: the desktop app shows a system notification; elsewhere nothing is shown. */
  notifyCallback: z.strictObject({ callbackId: z.uuid() }),
  voidAttempt: z.strictObject({
    attemptId,
    reason: trimmed(limits.reason), // blank: the handler answers void.reasonRequired, clearer than a schema error
  }),
  listHistory: z.strictObject({
    clientCode,
    before: z.string().max(200).optional(),
    limit: z.int().min(1).max(limits.historyPageSize).default(50),
  }),
  importClients: z.strictObject({
    fileName: text().max(limits.fileName).default('clients.csv'),
    // Not text(): a bad character refuses its own line (db/csv-clients.ts), not the whole file.
    content: z.string().max(limits.importBytes),
    importId: z.string().max(64).optional(),
  }),
  // The page hands over the file it was given, not its text: the database worker reads it from
  // disk as a stream (Electron's webUtils.getPathForFile; the web bridge's upload, web/server.ts).
  importClientsFile: z.strictObject({
    path: z.string().min(1).max(4096),
    importId: z.string().min(1).max(64),
  }),
  cancelImport: z.strictObject({ importId: z.string().min(1).max(64) }),
  exportHistory: z.strictObject({
    from: day.optional(),
    to: day.optional(),
    agentId: z.string().max(64).optional(),
    status: z.enum(attemptStatuses).optional(),
    format: z.enum(exportFormats).default('csv'),
  }),
  todayCounts: z.strictObject({}),
  seedDemoClients: z.strictObject({ count: z.int().min(1).max(limits.demoClients) }),
  getSyncState: z.strictObject({}),
  syncNow: z.strictObject({}),
  getSyncSettings: z.strictObject({}),
  updateSyncSettings: z.strictObject({
    serverUrl: z.url({ protocol: /^https?$/ }).max(limits.url).nullable(),
    token: z.string().trim().max(limits.token).nullable().optional(),
    /** A single-use code from the console, exchanged at POST /v1/enrol for the token (instead of typing it). */
    enrolmentCode: z.string().trim().max(40).optional(),
  }),
  listDeadLetters: z.strictObject({}),
  retryDeadLetters: z.strictObject({}),
  getStorageState: z.strictObject({}),
  restoreLatestBackup: z.strictObject({}),
  startEmptyBase: z.strictObject({}),
  getAgentSession: z.strictObject({}),
  createAgentProfile: z.strictObject({ name: trimmed(limits.agentName).min(1), pin }),
  signIn: z.strictObject({ profileId: z.string().min(1).max(64), pin, confirmPin: pin.optional() }),
  /** A desk enrolled with a device code: an agent's login and secret, checked by the server or offline. */
  signInAgent: z.strictObject({ login: text().trim().min(1).max(limits.login), secret: text().min(1).max(limits.agentPasswordMax * 2) }),
  signOut: z.strictObject({}),
  lockSession: z.strictObject({}),
} satisfies Record<string, z.ZodType>;

export type OperationName = keyof typeof schemas;
export type OperationInput<K extends OperationName> = z.input<(typeof schemas)[K]>;
export type ParsedInput<K extends OperationName> = z.output<(typeof schemas)[K]>;

/** What each operation gives back when it succeeds. */
export interface OperationOutputs {
  getSettings: Settings;
  updateSettings: Settings;
  searchClients: ClientPage;
  getClient: Client;
  recordAttempt: AttemptOutcome;
  giveReason: AttemptOutcome;
  undoAttempt: AttemptOutcome;
  scheduleCallback: CallbackItem;
  cancelCallback: { cancelled: boolean };
  listCallbacks: CallbackList;
  nextClient: NextClient | null;
  notifyCallback: { shown: boolean };
  voidAttempt: AttemptOutcome;
  listHistory: HistoryPage;
  importClients: ImportReport;
  importClientsFile: ImportReport;
  /** Whether an import of that id was running (it stops after its current chunk). */
  cancelImport: { cancelled: boolean };
  exportHistory: HistoryExport;
  todayCounts: TodayCounts;
  seedDemoClients: { inserted: number };
  getSyncState: SyncState;
  syncNow: SyncState;
  getSyncSettings: SyncSettingsView;
  updateSyncSettings: SyncSettingsView;
  listDeadLetters: DeadLetter[];
  retryDeadLetters: { requeued: number };
  getStorageState: StorageState;
  restoreLatestBackup: RecoveryOutcome;
  startEmptyBase: RecoveryOutcome;
  getAgentSession: AgentSession;
  createAgentProfile: Settings;
  signIn: Settings;
  signInAgent: Settings;
  signOut: Settings;
  lockSession: AgentSession;
}

export type OperationOutput<K extends OperationName> = OperationOutputs[K];

export const operationNames = Object.keys(schemas) as OperationName[];

// The channel names live in channels.ts (zod-free, bundled by the preload). Both lists must agree:
// a missing or extra name on either side is a compile error here.
export { channelOf } from './channels.ts';
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AssertTrue<T extends true> = T;
export type OperationListsAgree = AssertTrue<SameNames<OperationName, ChannelOperationName>>;

export function isOperationName(value: unknown): value is OperationName {
  return typeof value === 'string' && Object.hasOwn(schemas, value);
}

/** The server-side implementation: parsed input in, plain value out (or a thrown DeskError). */
export type DeskHandlers = {
  [K in OperationName]: (input: ParsedInput<K>) => Promise<OperationOutput<K>> | OperationOutput<K>;
};

/** What the renderer calls: raw input in, a Result out; never throws for a business failure. */
export type DeskApi = {
  [K in OperationName]: (input: OperationInput<K>) => Promise<Result<OperationOutput<K>>>;
};

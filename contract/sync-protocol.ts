// The sync protocol between a device and the central server, version 1. Both sides validate with
// these schemas; docs/sync-protocol.md explains the rules around them.

import { z } from 'zod';
import type { Locale } from './errors.ts';
import { limits } from './operations.ts';
import {
  agentEventRecordSchema,
  attemptRecordSchema,
  callbackRecordSchema,
  reasonRecordSchema,
  voidRecordSchema,
  type AgentStateRecord,
} from './records.ts';
import type { ReasonDefinition } from './reasons.ts';
import { agentSecretKinds, type PushRecordKind } from './enums.ts';
import { text } from './text-schema.ts';

export const protocolVersion = 1;
/** Every request carries it; the server answers 400 protocol.unsupported to any other. */
export const protocolHeader = 'x-desk-protocol';

/**
 * Optional capabilities beyond protocol 1's baseline (attempt, void and client records with the fields
 * of contract/records.ts). A server lists what it accepts in `/health` and `/v1/me`; a device sends
 * nothing a server has not listed (docs/sync-protocol.md, "Growing the protocol").
 */
export const protocolFeatures = [
  /** Every answer carries `serverEpoch`; a pull from a cursor past the head starts again from zero. */
  'epoch',
  /** A push may carry `device`: the app's version and its outbox and dead-letter counts. */
  'push.deviceReport',
  /**
   * A push may carry 'reason' items (why an attempt ended, contract/records.ts reasonRecordSchema);
   * pulled attempts carry `reason`, the code, once one is known (every reader gets it: older desks
   * ignore the field).
   */
  'attempt.reason',
  /** GET /v1/me may carry `reasons`: the site's own reason list, which desks use instead of the defaults. */
  'site.reasons',
  /**
   * A push may carry 'callback' items (contract/records.ts callbackRecordSchema); pulls send
   * 'callback' changes to devices that name 'callback' in `x-desk-kinds`. /v1/me may carry
   * `callbackHandoverMinutes`: after that long past due, an agent's open call-back is the team's.
   */
  'record.callback',
  /**
   * POST /v1/enrol takes device codes (answer `kind: 'device'`, a device token) and POST /v1/sign-in
   * trades a device token plus an agent's login and secret for that agent's token on that desk.
   * /v1/me carries `signIn` (the site's secret kind and offline days).
   */
  'agent.signIn',
  /** A push may carry 'agentEvent' items (contract/records.ts agentEventRecordSchema), also with a device token. */
  'record.agentEvent',
  /** Pulls send 'agentState' changes (contract/records.ts agentStateRecordSchema) to devices that name it in `x-desk-kinds`. */
  'record.agentState',
] as const;
export type ProtocolFeature = (typeof protocolFeatures)[number];

/** What a device reads of a server's feature list: unknown names (a newer server) are kept out. */
export function knownFeatures(listed: unknown): ProtocolFeature[] {
  if (!Array.isArray(listed)) return [];
  return protocolFeatures.filter((f) => listed.includes(f));
}

export const pushLimits = {
  maxItems: 500,
  maxBodyBytes: 2 * 1024 * 1024,
} as const;

export const pullLimits = {
  defaultLimit: 1000,
  maxLimit: 5000,
} as const;

export const clientRecordSchema = z.strictObject({
  code: text().min(1).max(limits.clientCode),
  name: text().min(1).max(200),
  phones: z.array(text().max(40)).max(10),
  // Same maxima as the clients CSV reader (db/csv-clients.ts csvLimits): a client the app imports
  // must also travel, or one long address would make a whole pull page unreadable on every device.
  email: text().max(254).nullable(),
  city: text().max(120).nullable(),
  address: text().max(500).nullable(),
  extra: z.record(text().max(100), text().max(1000)),
  updatedAt: z.iso.datetime({ offset: false, precision: 3 }),
});
export type ClientRecord = z.infer<typeof clientRecordSchema>;

export const pushItemSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('attempt'), record: attemptRecordSchema }),
  z.strictObject({ kind: z.literal('void'), record: voidRecordSchema }),
  z.strictObject({ kind: z.literal('reason'), record: reasonRecordSchema }),
  z.strictObject({ kind: z.literal('callback'), record: callbackRecordSchema }),
  z.strictObject({ kind: z.literal('agentEvent'), record: agentEventRecordSchema }),
]);
export type PushItem = z.infer<typeof pushItemSchema>;

/** What a desk says of itself with a push (feature 'push.deviceReport'), for the console's Postes page. */
export const deviceReportSchema = z.strictObject({
  appVersion: text().min(1).max(40),
  outboxPending: z.int().min(0).max(100_000_000),
  deadLetters: z.int().min(0).max(100_000_000),
  /** The most frequent dead-letter reasons, in the desk's language, most frequent first. */
  deadLetterReasons: z.array(z.strictObject({ reason: text().max(500), count: z.int().min(1) })).max(5),
});
export type DeviceReport = z.infer<typeof deviceReportSchema>;

/** POST /v1/push */
export const pushRequestSchema = z.strictObject({
  protocol: z.literal(protocolVersion),
  deviceId: text().min(1).max(64),
  device: deviceReportSchema.optional(),
  items: z.array(pushItemSchema).min(1).max(pushLimits.maxItems),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

/**
 * The part of a push that is checked as a whole (422 body.invalid for the request). Items are then
 * checked one by one: an item the server cannot take is rejected on its own, so one bad record never
 * blocks the rest of a device's outbox.
 */
export const pushEnvelopeSchema = z.strictObject({
  protocol: z.literal(protocolVersion),
  deviceId: text().min(1).max(64),
  /** Checked on its own too (deviceReportSchema): a report the server cannot read is ignored, the push applied. */
  device: z.unknown().optional(),
  items: z.array(z.unknown()).min(1).max(pushLimits.maxItems),
});

export type PushOutcome = 'applied' | 'duplicate' | 'rejected';

export interface ProtocolErrorBody {
  code: ProtocolErrorCode;
  message: Record<Locale, string>;
}

export interface PushItemResult {
  /** The item's kind as sent: a kind this server does not know is echoed back (record.unsupported). */
  kind: PushRecordKind | (string & {});
  /** The attempt id (for a void: the voided attempt's id), exactly as the item carries it, so the device finds its entry. */
  id: string;
  outcome: PushOutcome;
  error?: ProtocolErrorBody;
}

/** Every answer of a server with feature 'epoch' carries its database's identity. */
export interface EpochField {
  serverEpoch: string;
}

export interface PushResponse extends EpochField {
  results: PushItemResult[];
  serverTime: string;
}

export type ChangeItem =
  | { kind: 'client'; record: ClientRecord }
  | { kind: 'attempt'; record: z.infer<typeof attemptRecordSchema> & { receivedAt: string; reason?: string } }
  | { kind: 'void'; record: z.infer<typeof voidRecordSchema> & { receivedAt: string } }
  | { kind: 'callback'; record: z.infer<typeof callbackRecordSchema> & { receivedAt: string } }
  | { kind: 'agentState'; record: AgentStateRecord };

/**
 * Names the device on every request (`x-desk-device: <deviceId>`, at most 64 characters). A token bound
 * to a device (a device token, an agent token from sign-in) is refused with any other value, or none
 * (auth.deviceMismatch); on a push the body's `deviceId` must agree too.
 */
export const deviceHeader = 'x-desk-device';

/** A device names the pulled kinds it reads beyond the baseline, comma-separated: `x-desk-kinds: callback`. */
export const kindsHeader = 'x-desk-kinds';

/** The largest change number: the database's bigint. Cursors are exact integers up to it, never floats. */
export const maxCursor = 9_223_372_036_854_775_807n;

/**
 * GET /v1/changes?cursor=…&limit=… ; cursor '0' or absent: from the beginning. ASCII digits only:
 * no sign, exponent, hex, spaces or decimals (Number() would take '1e3', '0x10' and ' 5').
 */
export const pullQuerySchema = z.strictObject({
  cursor: z
    .string()
    .regex(/^[0-9]{1,19}$/, 'digits only')
    // Zod runs this even after the regex failed: BigInt() must only see digits.
    .refine((value) => !/^[0-9]{1,19}$/.test(value) || BigInt(value) <= maxCursor, 'beyond the largest change number')
    .default('0'),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, 'digits only')
    .transform(Number)
    .pipe(z.int().min(1).max(pullLimits.maxLimit))
    .default(pullLimits.defaultLimit),
});

export interface PullResponse extends EpochField {
  changes: ChangeItem[];
  /** Opaque to the device: store it and send it back. Never goes backwards. */
  nextCursor: string;
  hasMore: boolean;
  serverTime: string;
  /**
   * True when the cursor sent was past the head of the change log (the database was restored from a
   * backup): the page starts again from zero. Devices of any version re-read safely; ids dedupe.
   */
  cursorReset?: boolean;
}

/** What a site asks of its agents at sign-in (feature 'agent.signIn'), server settings --agent-secret and --offline-sign-in-days. */
export const signInRulesSchema = z.strictObject({
  secretKind: z.enum(agentSecretKinds),
  /** Days after an online sign-in on a desk during which the agent may sign in there offline; 0: never offline. */
  offlineDays: z.int().min(0).max(limits.offlineSignInDaysMax),
});
export type SignInRules = z.infer<typeof signInRulesSchema>;

/** GET /v1/me with an agent token: who the token belongs to. */
export interface MeResponse extends EpochField {
  /** Absent from servers before feature 'agent.signIn'. */
  kind?: 'agent';
  /** The desk an agent token from sign-in is bound to (absent for enrolment-code and admin tokens). */
  deviceId?: string;
  /** Feature 'agent.signIn': the site's rules, so a desk keeps its offline period current. */
  signIn?: SignInRules;
  agentId: string;
  agentName: string;
  serverTime: string;
  features: ProtocolFeature[];
  /** The site's reason list (feature 'site.reasons'), when the server was given one. */
  reasons?: ReasonDefinition[];
  /** Feature 'record.callback': minutes past due after which an agent's open call-back is the team's. */
  callbackHandoverMinutes?: number;
}

/** GET /v1/me with a device token (feature 'agent.signIn'): a desk with nobody signed in. */
export interface MeDeviceResponse extends EpochField {
  kind: 'device';
  deviceId: string;
  serverTime: string;
  features: ProtocolFeature[];
  signIn: SignInRules;
  reasons?: ReasonDefinition[];
  callbackHandoverMinutes?: number;
}

/** Either answer of GET /v1/me: branch on `kind` (absent: an agent, from an older server). */
export type MeAnyResponse = MeResponse | MeDeviceResponse;

/** GET /health */
export interface HealthResponse extends EpochField {
  status: 'ok';
  protocol: typeof protocolVersion;
  features: ProtocolFeature[];
}

/**
 * POST /v1/enrol, without a token: a desk exchanges the short single-use code an administrator
 * issued in the console for an access token (shown to nobody). An agent code gives that agent's token
 * (EnrolResponse); a device code (feature 'agent.signIn') gives the desk's device token
 * (DeviceEnrolResponse) and needs `deviceId` (422 body.invalid without it).
 */
export const enrolRequestSchema = z.strictObject({
  code: z.string().min(1).max(40),
  deviceId: text().min(1).max(64).optional(),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

/** The answer to an agent code. `kind` is absent from servers before feature 'agent.signIn'. */
export interface EnrolResponse {
  kind?: 'agent';
  token: string;
  agentId: string;
  agentName: string;
  serverTime: string;
}

/** The answer to a device code: the desk's own token, bound to `deviceId`, and the site's sign-in rules. */
export interface DeviceEnrolResponse {
  kind: 'device';
  deviceToken: string;
  deviceId: string;
  serverTime: string;
  signIn: SignInRules;
}

export type EnrolAnswer = EnrolResponse | DeviceEnrolResponse;

const serverIso = z.iso.datetime({ offset: false, precision: 3 });
const tokenText = z.string().min(1).max(limits.token);

/**
 * How a desk reads POST /v1/enrol's answer (loose: a newer server's extra fields pass). A device answer
 * names its kind; anything else is an agent's answer, as older servers give it.
 */
export const enrolAnswerSchema = z.union([
  z.looseObject({ kind: z.literal('device'), deviceToken: tokenText, deviceId: text().min(1).max(64), serverTime: serverIso, signIn: signInRulesSchema }),
  z.looseObject({ kind: z.literal('agent').optional(), token: tokenText, agentId: text().min(1).max(64), agentName: text().min(1).max(limits.agentName), serverTime: serverIso }),
]);

/**
 * POST /v1/sign-in (feature 'agent.signIn'), with `Authorization: Bearer <device token>` and
 * `x-desk-device`. `login` as typed (the server normalises it, contract/sign-in.ts); `secret` the PIN
 * or password, never logged, never stored.
 */
export const signInRequestSchema = z.strictObject({
  login: text().min(1).max(limits.login),
  // UTF-16 units: a 128-character password may take up to twice as many.
  secret: text().min(1).max(limits.agentPasswordMax * 2),
});
export type SignInRequest = z.infer<typeof signInRequestSchema>;

/**
 * A new agent token bound to (agent, desk); the pair's previous token is revoked. Failures: 401
 * signIn.invalid (unknown login or wrong secret, one answer), 403 agent.disabled (after a right secret),
 * 429 rate.limited with Retry-After (seconds), 403 auth.deviceRequired (not a device token).
 */
export interface SignInResponse extends SignInRules {
  token: string;
  agentId: string;
  agentName: string;
  login: string;
  serverTime: string;
}

export const signInAnswerSchema = z.looseObject({
  token: tokenText,
  agentId: text().min(1).max(64),
  agentName: text().min(1).max(limits.agentName),
  login: text().min(1).max(limits.login),
  serverTime: serverIso,
  secretKind: z.enum(agentSecretKinds),
  offlineDays: z.int().min(0).max(limits.offlineSignInDaysMax),
});

const protocolCatalog = {
  'auth.missing': { fr: 'Jeton d’accès manquant.', en: 'Access token missing.', status: 401 },
  'auth.invalid': { fr: 'Jeton d’accès invalide.', en: 'Invalid access token.', status: 401 },
  'auth.revoked': { fr: 'Ce jeton d’accès a été révoqué.', en: 'This access token has been revoked.', status: 401 },
  'agent.mismatch': {
    fr: 'Cet enregistrement appartient à un autre agent que celui du jeton.',
    en: 'This record belongs to another agent than the token’s.',
    status: 403,
  },
  'protocol.unsupported': {
    fr: 'Version de protocole non prise en charge : mettez l’application à jour.',
    en: 'Unsupported protocol version: update the application.',
    status: 400,
  },
  'body.invalid': { fr: 'Requête mal formée.', en: 'Malformed request.', status: 422 },
  'body.tooLarge': { fr: 'Requête trop volumineuse.', en: 'Request too large.', status: 413 },
  'rate.limited': { fr: 'Trop de requêtes : réessayez plus tard.', en: 'Too many requests: try again later.', status: 429 },
  'client.unknown': { fr: 'Client inconnu du serveur.', en: 'Client unknown to the server.', status: 422 },
  'attempt.unknown': { fr: 'Tentative inconnue du serveur.', en: 'Attempt unknown to the server.', status: 422 },
  'record.invalid': { fr: 'Enregistrement refusé par le serveur.', en: 'Record refused by the server.', status: 422 },
  'record.unsupported': {
    fr: 'Type d’enregistrement inconnu de ce serveur.',
    en: 'Record kind unknown to this server.',
    status: 422,
  },
  'attempt.conflict': {
    fr: 'Une autre tentative porte déjà cet identifiant.',
    en: 'Another attempt already has this id.',
    status: 409,
  },
  'enrol.invalid': {
    fr: 'Code d’enrôlement inconnu, expiré ou déjà utilisé : demandez-en un nouveau.',
    en: 'Enrolment code unknown, expired or already used: ask for a new one.',
    status: 401,
  },
  'signIn.invalid': {
    fr: 'Identifiant ou code secret incorrect.',
    en: 'Wrong login or secret.',
    status: 401,
  },
  'agent.disabled': {
    fr: 'Cet agent est désactivé : adressez-vous à votre responsable.',
    en: 'This agent is disabled: ask your supervisor.',
    status: 403,
  },
  'auth.deviceOnly': {
    fr: 'Le jeton du poste ne peut pas envoyer cet enregistrement : il faut le jeton de l’agent connecté.',
    en: 'The desk’s token cannot send this record: it takes the signed-in agent’s token.',
    status: 403,
  },
  'auth.deviceRequired': {
    fr: 'Seul un poste inscrit (jeton de poste) peut connecter un agent.',
    en: 'Only an enrolled desk (device token) can sign an agent in.',
    status: 403,
  },
  'auth.deviceMismatch': {
    fr: 'Ce jeton a été délivré à un autre poste.',
    en: 'This token was issued to another desk.',
    status: 401,
  },
  'not.found': { fr: 'Adresse inconnue.', en: 'Unknown address.', status: 404 },
  'server.unavailable': { fr: 'Serveur indisponible.', en: 'Server unavailable.', status: 503 },
  'server.error': { fr: 'Erreur interne du serveur.', en: 'Internal server error.', status: 500 },
} as const satisfies Record<string, { fr: string; en: string; status: number }>;

export type ProtocolErrorCode = keyof typeof protocolCatalog;

/** A detail in parentheses after the message: the same words in both languages, or each its own. */
export type ErrorDetails = string | Record<Locale, string>;

export function protocolError(code: ProtocolErrorCode, details?: ErrorDetails): ProtocolErrorBody & { status: number } {
  const entry = protocolCatalog[code];
  const suffix = (locale: Locale) => {
    const text = typeof details === 'string' ? details : details?.[locale];
    return text ? ` (${text})` : '';
  };
  return { code, message: { fr: entry.fr + suffix('fr'), en: entry.en + suffix('en') }, status: entry.status };
}

/** The body of every 4xx/5xx answer. */
export interface ErrorResponse {
  error: ProtocolErrorBody;
}

// Enrolling a device: the token (typed, or obtained for an enrolment code at POST /v1/enrol) is
// checked against the server (GET /v1/me) before anything is saved, and the agent it belongs to is
// what the device will sign its attempts with.

import type { Kysely } from 'kysely';
import { DeskError } from '../contract/index.ts';
import { enrolAnswerSchema, signInAnswerSchema, type EnrolAnswer, type MeResponse, type SignInResponse } from '../contract/sync-protocol.ts';
import type { Database } from '../db/schema.ts';
import { adoptServerAgent, saveSyncConfig, type TokenStorage } from '../db/sync-meta.ts';
import { enrolmentKeys } from '../db/agent-sign-in.ts';
import { signOut } from '../db/agent-profiles.ts';
import { setMeta } from '../db/settings.ts';
import type { SignInRules } from '../contract/sync-protocol.ts';
import { writeTransaction } from '../db/tx.ts';
import { SyncFailure, SyncHttp } from './http.ts';
import { assertTransportAllowed } from './transport.ts';

export async function fetchTokenAgent(
  serverUrl: string,
  token: string,
  options: { fetch?: typeof fetch; deviceId?: string; timeoutMs?: number; allowPlainHttp?: boolean } = {},
): Promise<MeResponse> {
  // Refused before the token is sent anywhere.
  assertTransportAllowed(serverUrl, options.allowPlainHttp === true);
  const http = new SyncHttp({ serverUrl, token, fetch: options.fetch, deviceId: options.deviceId, timeoutMs: options.timeoutMs ?? 15_000, allowPlainHttp: options.allowPlainHttp });
  let me: MeResponse;
  try {
    me = await http.request<MeResponse>('GET', 'v1/me');
  } catch (error) {
    if (error instanceof SyncFailure) {
      if (error.kind === 'auth') throw new DeskError('sync.tokenRejected');
      if (error.kind === 'protocol') throw new DeskError('sync.protocolMismatch');
      throw new DeskError('sync.unavailable', { details: error.body ? `${error.status} ${error.body.code}` : error.message });
    }
    throw error;
  }
  if (typeof me?.agentId !== 'string' || !me.agentId || typeof me.agentName !== 'string' || !me.agentName) {
    throw new DeskError('sync.unavailable', { details: 'GET v1/me: réponse inattendue / unexpected answer' });
  }
  return me;
}

/**
 * Trades an enrolment code for its agent's token. The code is used up by this call, so the answer
 * (token and agent) is saved as it is, without a second request that could fail and lose the token.
 */
export async function exchangeEnrolmentCode(
  serverUrl: string,
  code: string,
  options: { fetch?: typeof fetch; deviceId?: string; timeoutMs?: number; allowPlainHttp?: boolean } = {},
): Promise<EnrolAnswer> {
  // Refused before the code is sent anywhere.
  assertTransportAllowed(serverUrl, options.allowPlainHttp === true);
  const http = new SyncHttp({ serverUrl, token: null, fetch: options.fetch, deviceId: options.deviceId, timeoutMs: options.timeoutMs ?? 15_000, allowPlainHttp: options.allowPlainHttp });
  const body = JSON.stringify(options.deviceId ? { code, deviceId: options.deviceId } : { code });
  let raw: unknown;
  try {
    raw = await http.request<unknown>('POST', 'v1/enrol', body);
  } catch (error) {
    if (error instanceof SyncFailure) {
      if (error.kind === 'auth') throw new DeskError('sync.enrolmentRejected');
      if (error.kind === 'protocol') throw new DeskError('sync.protocolMismatch');
      // A server older than enrolment codes answers 404 not.found.
      if (error.status === 404) throw new DeskError('sync.enrolmentUnsupported');
      throw new DeskError('sync.unavailable', { details: error.body ? `${error.status} ${error.body.code}` : error.message });
    }
    throw error;
  }
  // A device code's answer names its kind; an agent code's is as older servers give it.
  const answer = enrolAnswerSchema.safeParse(raw);
  if (!answer.success) throw new DeskError('sync.unavailable', { details: 'POST v1/enrol: réponse inattendue / unexpected answer' });
  return answer.data as EnrolAnswer;
}

/** What POST /v1/sign-in said: the agent's token, or why not, or that the server cannot be reached. */
export type SignInOutcome =
  | { ok: true; answer: SignInResponse }
  | { ok: false; unreachable: true; details: string }
  | { ok: false; unreachable: false; error: DeskError };

/**
 * Asks the server to sign an agent in on this desk, with the device's token. Only a server that is
 * away (network, timeout, 502–504) sends the desk to its offline verifiers; any answer of the server
 * itself (wrong secret, disabled, throttled) is final, or offline sign-in would get round it.
 */
export async function requestSignIn(
  serverUrl: string,
  deviceToken: string,
  input: { login: string; secret: string },
  options: { fetch?: typeof fetch; deviceId: string; timeoutMs?: number; allowPlainHttp?: boolean },
): Promise<SignInOutcome> {
  const http = new SyncHttp({ serverUrl, token: deviceToken, fetch: options.fetch, deviceId: options.deviceId, timeoutMs: options.timeoutMs ?? 8_000, allowPlainHttp: options.allowPlainHttp });
  let raw: unknown;
  try {
    raw = await http.request<unknown>('POST', 'v1/sign-in', JSON.stringify({ login: input.login, secret: input.secret }));
  } catch (error) {
    if (!(error instanceof SyncFailure)) throw error;
    const code = error.body?.code;
    if (error.kind === 'network' || (error.status !== null && [502, 503, 504].includes(error.status))) {
      return { ok: false, unreachable: true, details: error.message };
    }
    if (code === 'signIn.invalid') return { ok: false, unreachable: false, error: new DeskError('signIn.wrong', { secretKind: 'pin' }) };
    if (code === 'agent.disabled') return { ok: false, unreachable: false, error: new DeskError('signIn.disabled') };
    if (error.kind === 'rateLimited') {
      return { ok: false, unreachable: false, error: new DeskError('signIn.throttled', { seconds: Math.max(1, Math.ceil((error.retryAfterMs ?? 30_000) / 1000)) }) };
    }
    if (error.kind === 'auth' || code === 'auth.deviceRequired' || code === 'auth.deviceMismatch') return { ok: false, unreachable: false, error: new DeskError('signIn.deviceRejected') };
    if (error.kind === 'protocol') return { ok: false, unreachable: false, error: new DeskError('sync.protocolMismatch') };
    return { ok: false, unreachable: false, error: new DeskError('sync.unavailable', { details: error.body ? `${error.status} ${error.body.code}` : error.message }) };
  }
  const answer = signInAnswerSchema.safeParse(raw);
  if (!answer.success) return { ok: false, unreachable: false, error: new DeskError('sync.unavailable', { details: 'POST v1/sign-in: réponse inattendue / unexpected answer' }) };
  return { ok: true, answer: answer.data as SignInResponse };
}

/** Saves a checked enrolment in one transaction: server, sealed token, and the token's agent. */
export async function saveEnrolment(
  db: Kysely<Database>,
  enrolment: { serverUrl: string; sealedToken: string; tokenStorage: TokenStorage; agent: Pick<MeResponse, 'agentId' | 'agentName'> },
): Promise<void> {
  await writeTransaction(db, async (trx) => {
    await saveSyncConfig(trx, { serverUrl: enrolment.serverUrl, token: enrolment.sealedToken, tokenStorage: enrolment.tokenStorage });
    await adoptServerAgent(trx, { id: enrolment.agent.agentId, name: enrolment.agent.agentName });
  });
}

/**
 * Saves a device enrolment in one transaction: server, sealed device token, the site's sign-in rules.
 * Whoever was signed in (a local profile) is signed out: from now on agents sign in against the server.
 */
export async function saveDeviceEnrolment(
  db: Kysely<Database>,
  enrolment: { serverUrl: string; sealedToken: string; tokenStorage: TokenStorage; signIn: SignInRules },
  at: Date,
): Promise<void> {
  await writeTransaction(db, async (trx) => {
    await saveSyncConfig(trx, { serverUrl: enrolment.serverUrl, token: enrolment.sealedToken, tokenStorage: enrolment.tokenStorage });
    await setMeta(trx, {
      [enrolmentKeys.kind]: 'device',
      [enrolmentKeys.secretKind]: enrolment.signIn.secretKind,
      [enrolmentKeys.offlineDays]: String(enrolment.signIn.offlineDays),
    });
  });
  await signOut(db, at);
}

// Enrolling a device: the token (typed, or obtained for an enrolment code at POST /v1/enrol) is
// checked against the server (GET /v1/me) before anything is saved, and the agent it belongs to is
// what the device will sign its attempts with.

import type { Kysely } from 'kysely';
import { DeskError } from '../contract/index.ts';
import type { EnrolResponse, MeResponse } from '../contract/sync-protocol.ts';
import type { Database } from '../db/schema.ts';
import { adoptServerAgent, saveSyncConfig, type TokenStorage } from '../db/sync-meta.ts';
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
): Promise<EnrolResponse> {
  // Refused before the code is sent anywhere.
  assertTransportAllowed(serverUrl, options.allowPlainHttp === true);
  const http = new SyncHttp({ serverUrl, token: null, fetch: options.fetch, deviceId: options.deviceId, timeoutMs: options.timeoutMs ?? 15_000, allowPlainHttp: options.allowPlainHttp });
  const body = JSON.stringify(options.deviceId ? { code, deviceId: options.deviceId } : { code });
  let answer: EnrolResponse;
  try {
    answer = await http.request<EnrolResponse>('POST', 'v1/enrol', body);
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
  if (typeof answer?.token !== 'string' || !answer.token || typeof answer.agentId !== 'string' || !answer.agentId || typeof answer.agentName !== 'string' || !answer.agentName) {
    throw new DeskError('sync.unavailable', { details: 'POST v1/enrol: réponse inattendue / unexpected answer' });
  }
  return answer;
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

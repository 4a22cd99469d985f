// Enrolling a device: the token is checked against the server (GET /v1/me) before anything is
// saved, and the agent it belongs to is what the device will sign its attempts with.

import type { Kysely } from 'kysely';
import { DeskError } from '../contract/index.ts';
import type { MeResponse } from '../contract/sync-protocol.ts';
import type { Database } from '../db/schema.ts';
import { adoptServerAgent, saveSyncConfig, type TokenStorage } from '../db/sync-meta.ts';
import { writeTransaction } from '../db/tx.ts';
import { SyncFailure, SyncHttp } from './http.ts';

export async function fetchTokenAgent(
  serverUrl: string,
  token: string,
  options: { fetch?: typeof fetch; deviceId?: string; timeoutMs?: number } = {},
): Promise<MeResponse> {
  const http = new SyncHttp({ serverUrl, token, fetch: options.fetch, deviceId: options.deviceId, timeoutMs: options.timeoutMs ?? 15_000 });
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

/** Saves a checked enrolment in one transaction: server, sealed token, and the token's agent. */
export async function saveEnrolment(
  db: Kysely<Database>,
  enrolment: { serverUrl: string; sealedToken: string; tokenStorage: TokenStorage; agent: MeResponse },
): Promise<void> {
  await writeTransaction(db, async (trx) => {
    await saveSyncConfig(trx, { serverUrl: enrolment.serverUrl, token: enrolment.sealedToken, tokenStorage: enrolment.tokenStorage });
    await adoptServerAgent(trx, { id: enrolment.agent.agentId, name: enrolment.agent.agentName });
  });
}

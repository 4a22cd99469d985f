// Who is calling: the agent behind the bearer token, or the desk itself (a device token, feature
// 'agent.signIn'). Looked up on every request (no cache), so a revoked token, or a disabled agent,
// stops working at once on every instance.

import type { Kysely } from 'kysely';
import { limits } from '../contract/operations.ts';
import { ProtocolFailure } from './failure.ts';
import type { ServerSchema } from './storage/schema.ts';
import { bearerToken, hashToken } from './tokens.ts';

export interface AgentCaller {
  kind: 'agent';
  agentId: string;
  agentName: string;
  tokenId: string;
  /** The desk the token is bound to (a token from sign-in); null: enrolment-code or admin token, any desk. */
  boundDeviceId: string | null;
}

/** A desk with nobody signed in: it may read, sign agents in and push agent events, nothing else. */
export interface DeviceCaller {
  kind: 'device';
  agentId: null;
  agentName: null;
  tokenId: string;
  boundDeviceId: string;
}

export type CallerIdentity = AgentCaller | DeviceCaller;

/** last_used_at is a hint for administrators: written at most once a minute per token. */
const lastUsedResolutionMs = 60_000;

export async function authenticate(db: Kysely<ServerSchema>, authorization: string | undefined, now: Date): Promise<CallerIdentity> {
  const token = bearerToken(authorization);
  if (token === null) throw new ProtocolFailure('auth.missing');
  if (token === '' || token.length > limits.token) throw new ProtocolFailure('auth.invalid');
  const row = await db
    .selectFrom('tokens')
    .leftJoin('agents', 'agents.id', 'tokens.agent_id')
    .select([
      'tokens.id as token_id',
      'tokens.kind',
      'tokens.device_id',
      'tokens.revoked_at',
      'tokens.last_used_at',
      'agents.id as agent_id',
      'agents.name as agent_name',
      'agents.disabled_at',
    ])
    .where('tokens.hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) throw new ProtocolFailure('auth.invalid');
  if (row.revoked_at !== null) throw new ProtocolFailure('auth.revoked');
  // Disabling an agent revokes its tokens; a token issued for it afterwards (admin create-token)
  // or one a race let through is refused here all the same.
  if (row.kind === 'agent' && (row.agent_id === null || row.disabled_at !== null)) throw new ProtocolFailure('auth.revoked');
  if (row.kind === 'device' && row.device_id === null) throw new ProtocolFailure('auth.invalid');
  if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) > lastUsedResolutionMs) {
    await db.updateTable('tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.token_id).execute();
  }
  if (row.kind === 'device') {
    return { kind: 'device', agentId: null, agentName: null, tokenId: row.token_id, boundDeviceId: row.device_id! };
  }
  return { kind: 'agent', agentId: row.agent_id!, agentName: row.agent_name!, tokenId: row.token_id, boundDeviceId: row.device_id };
}

/**
 * A token bound to a desk works from that desk only: the request must name it (x-desk-device, and
 * a push's body deviceId), or it is refused whole. A copied token is of no use on another machine.
 */
export function checkBoundDevice(caller: CallerIdentity, named: string | null | undefined): void {
  if (caller.boundDeviceId !== null && named !== caller.boundDeviceId) throw new ProtocolFailure('auth.deviceMismatch');
}

// Who is calling: the agent behind the bearer token. Looked up on every request (no cache), so a
// revoked token stops working at once on every instance.

import type { Kysely } from 'kysely';
import { limits } from '../contract/operations.ts';
import { ProtocolFailure } from './failure.ts';
import type { ServerSchema } from './storage/schema.ts';
import { bearerToken, hashToken } from './tokens.ts';

export interface CallerIdentity {
  agentId: string;
  agentName: string;
  tokenId: string;
}

/** last_used_at is a hint for administrators: written at most once a minute per token. */
const lastUsedResolutionMs = 60_000;

export async function authenticate(db: Kysely<ServerSchema>, authorization: string | undefined, now: Date): Promise<CallerIdentity> {
  const token = bearerToken(authorization);
  if (token === null) throw new ProtocolFailure('auth.missing');
  if (token === '' || token.length > limits.token) throw new ProtocolFailure('auth.invalid');
  const row = await db
    .selectFrom('tokens')
    .innerJoin('agents', 'agents.id', 'tokens.agent_id')
    .select(['tokens.id as token_id', 'tokens.revoked_at', 'tokens.last_used_at', 'agents.id as agent_id', 'agents.name as agent_name'])
    .where('tokens.hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) throw new ProtocolFailure('auth.invalid');
  if (row.revoked_at !== null) throw new ProtocolFailure('auth.revoked');
  if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) > lastUsedResolutionMs) {
    await db.updateTable('tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.token_id).execute();
  }
  return { agentId: row.agent_id, agentName: row.agent_name, tokenId: row.token_id };
}

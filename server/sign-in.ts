// Agents signing in on an enrolled desk (feature 'agent.signIn'): POST /v1/sign-in trades the desk's
// device token plus an agent's login and secret for that agent's token on that desk. Also the rules
// a site sets (secret kind, offline days) and the agent_events the server writes itself.
//
// An unknown login and a wrong secret get one answer (401 signIn.invalid), after the same work: the
// secret is checked against a decoy hash when there is no agent to check it against. Failures are
// counted per login, per desk and per address in the database, as the console's sign-in counts its
// own (console/throttle.ts: every instance sees the same counts), and past a limit the answer is 429
// with Retry-After, for a window's length, before any hash is computed.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { limits } from '../contract/limits.ts';
import { normaliseLogin } from '../contract/sign-in.ts';
import { signInRequestSchema, type SignInResponse, type SignInRules } from '../contract/sync-protocol.ts';
import { uuidv7 } from '../db/ids.ts';
import { verifyAgainstDecoy, verifyPassword } from './console/passwords.ts';
import { blockedUntil, recordFailure } from './console/throttle.ts';
import { ProtocolFailure } from './failure.ts';
import type { ServerDatabase } from './storage/database.ts';
import type { AgentEventTable, ServerSchema } from './storage/schema.ts';
import { writeTransaction } from './storage/tx.ts';
import { hashToken, newToken, tokenPrefix } from './tokens.ts';

export const defaultSignInRules: SignInRules = { secretKind: 'pin', offlineDays: limits.offlineSignInDaysDefault };

export interface SignInThrottleOptions {
  /** Failed sign-ins allowed per login, per desk and per address in a window; then 429 for a window's length. */
  perLogin: number;
  perDevice: number;
  perAddress: number;
  windowMs: number;
}

/** Five wrong secrets for one login in 15 minutes: a PIN of 6 digits stays out of reach of guessing. */
export const defaultSignInThrottle: SignInThrottleOptions = { perLogin: 5, perDevice: 10, perAddress: 30, windowMs: 15 * 60_000 };

export interface SignInOptions {
  sdb: ServerDatabase;
  clock: { now(): Date };
  rules: SignInRules;
  throttle: SignInThrottleOptions;
}

/** A login as typed (NFC, trimmed), bounded, for the event of a failed sign-in (never the secret). */
function typedLogin(login: string): string {
  return [...login.normalize('NFC').trim()].slice(0, limits.login).join('');
}

export async function writeServerAgentEvent(
  db: Kysely<ServerSchema>,
  event: Pick<AgentEventTable, 'kind' | 'agent_id' | 'login' | 'device_id' | 'detail' | 'address' | 'token_id'>,
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  await db.insertInto('agent_events').values({ id: uuidv7(), at, received_at: at, source: 'server', offline: 0, ...event }).execute();
}

export function registerSignIn(v1: FastifyInstance, options: SignInOptions): void {
  const { sdb, clock, rules, throttle } = options;
  const periods = { windowMs: throttle.windowMs, blockMs: throttle.windowMs };

  v1.post('/sign-in', async (request: FastifyRequest, reply: FastifyReply): Promise<SignInResponse> => {
    const caller = request.caller!;
    if (caller.kind !== 'device') throw new ProtocolFailure('auth.deviceRequired');
    const parsed = signInRequestSchema.safeParse(request.body);
    if (!parsed.success) throw new ProtocolFailure('body.invalid', 'login, secret');
    const login = normaliseLogin(parsed.data.login);
    const now = clock.now();
    const keys = [
      { key: `signin:login:${login}`, limit: throttle.perLogin },
      { key: `signin:device:${caller.boundDeviceId}`, limit: throttle.perDevice },
      { key: `signin:ip:${request.ip}`, limit: throttle.perAddress },
    ];
    const event = { login: typedLogin(parsed.data.login), device_id: caller.boundDeviceId, address: request.ip, token_id: caller.tokenId };

    const blocked = await blockedUntil(sdb.db, keys.map((k) => k.key), now);
    if (blocked) {
      await writeServerAgentEvent(sdb.db, { ...event, kind: 'signInFailed', agent_id: null, detail: 'throttled' }, now);
      void reply.header('retry-after', Math.max(1, Math.ceil((blocked.getTime() - now.getTime()) / 1000)));
      throw new ProtocolFailure('rate.limited');
    }

    const agent = await sdb.db.selectFrom('agents').select(['id', 'name', 'login', 'secret_hash', 'disabled_at']).where('login', '=', login).executeTakeFirst();
    const right = agent?.secret_hash ? await verifyPassword(parsed.data.secret, agent.secret_hash) : await verifyAgainstDecoy(parsed.data.secret);
    if (!agent || !right) {
      for (const { key, limit } of keys) await recordFailure(sdb.db, key, limit, now, periods);
      await writeServerAgentEvent(sdb.db, { ...event, kind: 'signInFailed', agent_id: agent?.id ?? null, detail: 'invalid' }, now);
      throw new ProtocolFailure('signIn.invalid');
    }
    // Said only to whoever knows the secret: a guesser cannot tell a disabled agent from a wrong one.
    if (agent.disabled_at !== null) {
      await writeServerAgentEvent(sdb.db, { ...event, kind: 'signInFailed', agent_id: agent.id, detail: 'disabled' }, now);
      throw new ProtocolFailure('agent.disabled');
    }
    const token = newToken();
    const tokenId = uuidv7();
    const at = now.toISOString();
    await writeTransaction(sdb, async (trx) => {
      // One live token per (agent, desk): signing in again on the same desk replaces it.
      await trx
        .updateTable('tokens')
        .set({ revoked_at: at })
        .where('kind', '=', 'agent')
        .where('agent_id', '=', agent.id)
        .where('device_id', '=', caller.boundDeviceId)
        .where('revoked_at', 'is', null)
        .execute();
      await trx
        .insertInto('tokens')
        .values({ id: tokenId, hash: hashToken(token), prefix: tokenPrefix(token), agent_id: agent.id, kind: 'agent', device_id: caller.boundDeviceId, created_at: at, last_used_at: null, revoked_at: null })
        .execute();
      await writeServerAgentEvent(trx, { ...event, login: agent.login, kind: 'signIn', agent_id: agent.id, detail: null, token_id: tokenId }, now);
    });
    return { token, agentId: agent.id, agentName: agent.name, login: agent.login!, serverTime: at, ...rules };
  });
}

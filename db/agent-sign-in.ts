// Server agents signing in on a desk enrolled with a device credential (issue 9, docs/sync-protocol.md
// "Agents sign in"). The server decides online (sync/host.ts asks it); what the desk keeps here is what
// lets it decide alone while the server is out of reach: per agent who signed in online on this desk,
// a scrypt verifier of the secret (never the secret), when that was, and the offline period the server
// allowed. Wrong secrets offline are throttled like local PINs (db/agent-profiles.ts), in the base.

import type { Kysely } from 'kysely';
import { DeskError, isOneOf, normaliseLogin, agentSecretKinds, type AgentSecretKind, type AgentStateRecord } from '../contract/index.ts';
import { enter, journal, lockedKey, pinMatches, pinVerifier, waitAfter } from './agent-profiles.ts';
import type { Database } from './schema.ts';
import { readMeta, setMeta, settingsFromMeta } from './settings.ts';
import { writeTransaction } from './tx.ts';

const dayMs = 24 * 60 * 60 * 1000;

/** Meta keys of a device enrolment: what the server said at POST /v1/enrol and at each /v1/me. */
export const enrolmentKeys = {
  kind: 'sync_enrolment_kind',
  secretKind: 'sign_in_secret_kind',
  offlineDays: 'sign_in_offline_days',
} as const;

export interface SignInRulesStored {
  secretKind: AgentSecretKind;
  offlineDays: number;
}

/** Null unless the desk is enrolled with a device code (agents then sign in against the server). */
export async function deviceSignInRules(db: Kysely<Database>): Promise<SignInRulesStored | null> {
  const meta = await readMeta(db);
  if (meta.get(enrolmentKeys.kind) !== 'device') return null;
  const kind = meta.get(enrolmentKeys.secretKind);
  const days = Number(meta.get(enrolmentKeys.offlineDays));
  return { secretKind: isOneOf(agentSecretKinds, kind) ? kind : 'pin', offlineDays: Number.isInteger(days) && days >= 0 ? days : 0 };
}

/** The site's rules as the server last said them (enrolment, /v1/me). */
export async function saveSignInRules(db: Kysely<Database>, rules: SignInRulesStored): Promise<void> {
  await setMeta(db, { [enrolmentKeys.secretKind]: rules.secretKind, [enrolmentKeys.offlineDays]: String(rules.offlineDays) });
}

/** The agents who signed in online here, for the sign-in screen's list (login and name only). */
export async function knownServerAgents(db: Kysely<Database>): Promise<{ agentId: string; login: string; name: string }[]> {
  const rows = await db.selectFrom('agent_verifiers').select(['agent_id', 'login', 'name']).orderBy('name').execute();
  return rows.map((r) => ({ agentId: r.agent_id, login: r.login, name: r.name }));
}

export interface OnlineSignIn {
  agentId: string;
  agentName: string;
  login: string;
  offlineDays: number;
  secretKind: AgentSecretKind;
  /** The token, already sealed by the host (sync/host.ts seal), and how. */
  sealedToken: string;
  tokenStorage: 'safeStorage' | 'plain';
}

/**
 * The server said yes: this agent is the desk's signed-in agent, their token replaces any earlier
 * one of theirs here, and a fresh verifier restarts their offline period. The verifier is kept even
 * when the site allows no offline sign-in (offlineDays 0): the lock screen unlocks with it.
 */
export async function recordOnlineSignIn(db: Kysely<Database>, signIn: OnlineSignIn, secret: string, at: Date): Promise<void> {
  const verifier = await pinVerifier(secret);
  const now = at.toISOString();
  const login = normaliseLogin(signIn.login);
  await writeTransaction(db, async (trx) => {
    // Another agent held this login before (renamed on the server): theirs goes, the login is one person's.
    await trx.deleteFrom('agent_verifiers').where('login', '=', login).where('agent_id', '!=', signIn.agentId).execute();
    await trx
      .insertInto('agent_verifiers')
      .values({ agent_id: signIn.agentId, login, name: signIn.agentName, verifier, verified_online_at: now, offline_days: signIn.offlineDays, failed_sign_ins: 0, blocked_until: null })
      .onConflict((oc) =>
        oc.column('agent_id').doUpdateSet({ login, name: signIn.agentName, verifier, verified_online_at: now, offline_days: signIn.offlineDays, failed_sign_ins: 0, blocked_until: null }),
      )
      .execute();
    await trx
      .insertInto('agent_tokens')
      .values({ agent_id: signIn.agentId, token: signIn.sealedToken, token_storage: signIn.tokenStorage, issued_at: now })
      .onConflict((oc) => oc.column('agent_id').doUpdateSet({ token: signIn.sealedToken, token_storage: signIn.tokenStorage, issued_at: now }))
      .execute();
    await setMeta(trx, { [enrolmentKeys.secretKind]: signIn.secretKind, [enrolmentKeys.offlineDays]: String(signIn.offlineDays) });
    await enter(trx, { id: signIn.agentId, name: signIn.agentName, former_ids: '[]' }, at, { login });
  });
}

/** A refused sign-in, journalled on the desk (the server journals its own side). */
export async function recordFailedSignIn(db: Kysely<Database>, typedLogin: string, at: Date, offline: boolean): Promise<void> {
  const login = normaliseLogin(typedLogin).slice(0, 64);
  await writeTransaction(db, async (trx) => {
    const known = await trx.selectFrom('agent_verifiers').select(['agent_id', 'name']).where('login', '=', login).executeTakeFirst();
    await journal(trx, 'signInFailed', { id: known?.agent_id ?? null, name: known?.name ?? login }, at, { login, offline });
  });
}

/**
 * The server cannot be reached: the agent signs in if they signed in online here within the period,
 * with the same secret. Throttled per agent like a local PIN; every refusal is journalled.
 * `unlock`: the signed-in agent back at their locked session, where the period does not apply.
 */
export async function offlineSignIn(
  db: Kysely<Database>,
  input: { login: string; secret: string },
  at: Date,
  options: { unlock?: boolean } = {},
): Promise<void> {
  const rules = await deviceSignInRules(db);
  const login = normaliseLogin(input.login);
  const row = await db.selectFrom('agent_verifiers').selectAll().where('login', '=', login).executeTakeFirst();
  if (!row) {
    await recordFailedSignIn(db, input.login, at, true);
    throw new DeskError('signIn.offlineUnknown');
  }
  if (row.blocked_until && row.blocked_until > at.toISOString()) {
    throw new DeskError('signIn.throttled', { seconds: Math.ceil((Date.parse(row.blocked_until) - at.getTime()) / 1000) });
  }
  if (!options.unlock) {
    if (row.offline_days === 0) throw new DeskError('signIn.offlineNotAllowed');
    // A clock set back before the online sign-in counts as expired too: the desk cannot tell how long it was.
    const age = at.getTime() - Date.parse(row.verified_online_at);
    if (!(age >= 0 && age < row.offline_days * dayMs)) throw new DeskError('signIn.offlineExpired', { days: row.offline_days });
  }
  if (await pinMatches(input.secret, row.verifier)) {
    await writeTransaction(db, async (trx) => {
      await trx.updateTable('agent_verifiers').set({ failed_sign_ins: 0, blocked_until: null }).where('agent_id', '=', row.agent_id).execute();
      await enter(trx, { id: row.agent_id, name: row.name, former_ids: '[]' }, at, { login, offline: true });
    });
    return;
  }
  const failures = await writeTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable('agent_verifiers')
      .set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '+', 1) }))
      .where('agent_id', '=', row.agent_id)
      .returning('failed_sign_ins')
      .executeTakeFirstOrThrow();
    const wait = waitAfter(updated.failed_sign_ins);
    if (wait > 0) await trx.updateTable('agent_verifiers').set({ blocked_until: new Date(at.getTime() + wait).toISOString() }).where('agent_id', '=', row.agent_id).execute();
    await journal(trx, 'signInFailed', { id: row.agent_id, name: row.name }, at, { login, offline: true });
    return updated.failed_sign_ins;
  });
  const wait = waitAfter(failures);
  if (wait > 0) throw new DeskError('signIn.throttled', { seconds: Math.ceil(wait / 1000) });
  throw new DeskError('signIn.wrong', { secretKind: rules?.secretKind ?? 'pin' });
}

/** Whether the desk is locked on this server agent (their login): then the verifier unlocks, no server asked. */
export async function lockedOnLogin(db: Kysely<Database>, typedLogin: string): Promise<boolean> {
  const meta = await readMeta(db);
  const { agent } = settingsFromMeta(meta);
  if (meta.get(lockedKey) !== 'true' || !agent) return false;
  const row = await db.selectFrom('agent_verifiers').select('agent_id').where('login', '=', normaliseLogin(typedLogin)).executeTakeFirst();
  return row?.agent_id === agent.id;
}

/**
 * The server disabled an agent: their verifier and token leave the desk, so they can sign in neither
 * offline nor with a token left behind; signed in here, they are signed out. Their records already in
 * the outbox wait (an owner without a token) for an administrator to re-enable them. A rename follows.
 */
export async function applyAgentStates(trx: Kysely<Database>, states: readonly AgentStateRecord[], at: Date): Promise<number> {
  let forgotten = 0;
  for (const state of states) {
    if (state.disabled) {
      const gone = await trx.deleteFrom('agent_verifiers').where('agent_id', '=', state.agentId).executeTakeFirst();
      await trx.deleteFrom('agent_tokens').where('agent_id', '=', state.agentId).execute();
      forgotten += Number(gone.numDeletedRows);
      const { agent } = settingsFromMeta(await readMeta(trx));
      if (agent?.id === state.agentId) {
        await journal(trx, 'signOut', agent, at);
        await setMeta(trx, { agent_id: null, agent_name: null, agent_former_ids: null, [lockedKey]: null });
      }
      continue;
    }
    const login = state.login === null ? null : normaliseLogin(state.login);
    if (login !== null) {
      await trx.deleteFrom('agent_verifiers').where('login', '=', login).where('agent_id', '!=', state.agentId).execute();
      await trx.updateTable('agent_verifiers').set({ name: state.name, login }).where('agent_id', '=', state.agentId).execute();
    } else await trx.updateTable('agent_verifiers').set({ name: state.name }).where('agent_id', '=', state.agentId).execute();
  }
  return forgotten;
}

/** A token the server refused (revoked, agent disabled): that owner's records wait for a new sign-in. */
export async function forgetAgentToken(db: Kysely<Database>, agentId: string): Promise<void> {
  await db.deleteFrom('agent_tokens').where('agent_id', '=', agentId).execute();
}

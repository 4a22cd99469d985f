// What the console changes about agents: create and disable them, revoke a token, issue an
// enrolment code. Each change and its audit row commit together.

import { createHash, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AgentSecretKind } from '../../contract/enums.ts';
import { limits } from '../../contract/operations.ts';
import { normaliseLogin, secretRuleIssue } from '../../contract/sign-in.ts';
import { isStorableText } from '../../contract/text.ts';
import { uuidv7 } from '../../db/ids.ts';
import { AdminError } from '../admin.ts';
import { appendChanges } from '../storage/changes.ts';
import type { ServerDatabase } from '../storage/database.ts';
import type { ServerSchema } from '../storage/schema.ts';
import { writeTransaction } from '../storage/tx.ts';
import { recordAudit, type Actor } from './audit.ts';
import { hashPassword } from './passwords.ts';

/** No 0/O, 1/I/L, U: a code read aloud or copied from a screen is typed right the first time. */
const codeAlphabet = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
const codeLength = 10;
export const enrolmentCodeLifetimeMs = 60 * 60_000;

/** Upper case without spaces or dashes: what the desk's field may hold in any spelling. */
export function normaliseEnrolmentCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export function hashEnrolmentCode(code: string): string {
  return createHash('sha256').update(normaliseEnrolmentCode(code), 'utf8').digest('hex');
}

function newEnrolmentCode(): string {
  let code = '';
  for (let i = 0; i < codeLength; i += 1) code += codeAlphabet[randomInt(codeAlphabet.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * The agent's state changed (created, renamed, disabled, re-enabled): desks pull it as 'agentState'.
 * Appends to the change log, so it comes last in its transaction (storage/changes.ts).
 */
export async function logAgentState(trx: Kysely<ServerSchema>, agentId: string, at: string): Promise<void> {
  await trx.updateTable('agents').set({ updated_at: at }).where('id', '=', agentId).execute();
  await appendChanges(trx, [{ kind: 'agentState', ref: agentId }]);
}

/** A login as stored, or an AdminError worded for the administrator. */
export function checkedLogin(login: string): string {
  const normal = normaliseLogin(login);
  if (!/^[\p{L}\p{N}._@-]+$/u.test(normal) || [...normal].length > limits.login) {
    throw new AdminError(
      `Identifiant d’agent refusé : 1 à ${limits.login} lettres, chiffres ou « . _ @ - », sans espace.`,
      `Agent login refused: 1 to ${limits.login} letters, digits or ". _ @ -", no spaces.`,
    );
  }
  return normal;
}

/** The secret's hash, or an AdminError saying the site's rule (never the secret itself). */
export async function checkedSecretHash(kind: AgentSecretKind, secret: string): Promise<string> {
  const issue = secretRuleIssue(kind, secret);
  if (issue === 'pin.format') {
    throw new AdminError(`Code PIN refusé : ${limits.agentPinMin} à ${limits.agentPinMax} chiffres.`, `PIN refused: ${limits.agentPinMin} to ${limits.agentPinMax} digits.`);
  }
  if (issue === 'password.length') {
    throw new AdminError(
      `Mot de passe refusé : ${limits.agentPasswordMin} à ${limits.agentPasswordMax} caractères.`,
      `Password refused: ${limits.agentPasswordMin} to ${limits.agentPasswordMax} characters.`,
    );
  }
  return hashPassword(secret);
}

function checkedName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > limits.agentName || !isStorableText(trimmed)) {
    throw new AdminError(`Nom d’agent refusé : 1 à ${limits.agentName} caractères.`, `Agent name refused: 1 to ${limits.agentName} characters.`);
  }
  return trimmed;
}

export interface NewAgent {
  name: string;
  /** With a login and a secret, the agent signs in on enrolled desks; without, it is enrolled by agent code. */
  login?: string;
  secret?: string;
}

export async function createAgentFromConsole(
  sdb: ServerDatabase,
  agent: string | NewAgent,
  actor: Actor,
  secretKind: AgentSecretKind = 'pin',
): Promise<{ agentId: string; name: string; login: string | null }> {
  const given = typeof agent === 'string' ? { name: agent } : agent;
  const name = checkedName(given.name);
  const login = given.login?.trim() ? checkedLogin(given.login) : null;
  if (login !== null && !given.secret) throw new AdminError('Donnez un secret initial à l’agent.', 'Give the agent an initial secret.');
  const secretHash = login !== null && given.secret ? await checkedSecretHash(secretKind, given.secret) : null;
  return writeTransaction(sdb, async (trx) => {
    if (login !== null && (await trx.selectFrom('agents').select('id').where('login', '=', login).executeTakeFirst())) {
      throw new AdminError(`L’identifiant « ${login} » est déjà pris.`, `The login "${login}" is already taken.`);
    }
    const agentId = uuidv7();
    const now = new Date();
    const at = now.toISOString();
    await trx
      .insertInto('agents')
      .values({ id: agentId, name, created_at: at, login, secret_hash: secretHash, secret_set_at: secretHash ? at : null, updated_at: at })
      .execute();
    await recordAudit(trx, actor, 'agent.create', agentId, { name, login }, now);
    await logAgentState(trx, agentId, at);
    return { agentId, name, login };
  });
}

/**
 * "Définir le secret": a new PIN or password (the site's kind), and the login too for an agent made
 * before logins existed. The agent's tokens stay; desks learn the new secret at the next online sign-in.
 */
export async function setAgentSecret(
  sdb: ServerDatabase,
  target: { agentId?: string; login?: string },
  secret: string,
  secretKind: AgentSecretKind,
  actor: Actor,
  newLogin?: string,
): Promise<{ name: string; login: string }> {
  const secretHash = await checkedSecretHash(secretKind, secret);
  const wantedLogin = newLogin?.trim() ? checkedLogin(newLogin) : null;
  return writeTransaction(sdb, async (trx) => {
    const query = trx.selectFrom('agents').select(['id', 'name', 'login', 'disabled_at']);
    const agent = target.agentId
      ? await query.where('id', '=', target.agentId).executeTakeFirst()
      : target.login
        ? await query.where('login', '=', normaliseLogin(target.login)).executeTakeFirst()
        : undefined;
    if (!agent) throw new AdminError('Agent inconnu.', 'Unknown agent.');
    const login = agent.login ?? wantedLogin;
    if (login === null) throw new AdminError('Cet agent n’a pas encore d’identifiant : donnez-en un.', 'This agent has no login yet: give one.');
    if (agent.login === null) {
      const taken = await trx.selectFrom('agents').select('id').where('login', '=', login).executeTakeFirst();
      if (taken) throw new AdminError(`L’identifiant « ${login} » est déjà pris.`, `The login "${login}" is already taken.`);
    }
    const now = new Date();
    const at = now.toISOString();
    await trx.updateTable('agents').set({ login, secret_hash: secretHash, secret_set_at: at }).where('id', '=', agent.id).execute();
    await recordAudit(trx, actor, 'agent.setSecret', agent.id, { name: agent.name, login }, now);
    if (agent.login === null) await logAgentState(trx, agent.id, at);
    return { name: agent.name, login };
  });
}

/** Re-enabled: the agent may sign in again (its old tokens stay revoked); desks pull the state. */
export async function enableAgent(sdb: ServerDatabase, agentId: string, actor: Actor): Promise<{ name: string }> {
  return writeTransaction(sdb, async (trx) => {
    const agent = await activeAgent(trx, agentId);
    if (agent.disabled_at === null) return { name: agent.name };
    const now = new Date();
    await trx.updateTable('agents').set({ disabled_at: null }).where('id', '=', agentId).execute();
    await recordAudit(trx, actor, 'agent.enable', agentId, { name: agent.name }, now);
    await logAgentState(trx, agentId, now.toISOString());
    return { name: agent.name };
  });
}

/** "Inscrire un poste": a device code, like an agent code but tied to no agent (feature 'agent.signIn'). */
export async function issueDeviceEnrolmentCode(sdb: ServerDatabase, actor: Actor, now: Date = new Date()): Promise<{ code: string; expiresAt: string }> {
  return writeTransaction(sdb, async (trx) => {
    const code = newEnrolmentCode();
    const expiresAt = new Date(now.getTime() + enrolmentCodeLifetimeMs).toISOString();
    await trx
      .insertInto('device_enrolment_codes')
      .values({ code_hash: hashEnrolmentCode(code), created_by: actor.userId, created_at: now.toISOString(), expires_at: expiresAt, used_at: null, token_id: null, device_id: null })
      .execute();
    await recordAudit(trx, actor, 'device.enrolmentIssue', 'device', { expiresAt }, now);
    return { code, expiresAt };
  });
}

async function activeAgent(trx: Parameters<Parameters<typeof writeTransaction>[1]>[0], agentId: string) {
  const agent = await trx.selectFrom('agents').select(['id', 'name', 'disabled_at']).where('id', '=', agentId).executeTakeFirst();
  if (!agent) throw new AdminError('Agent inconnu.', 'Unknown agent.');
  return agent;
}

/** A disabled agent keeps its history; its tokens stop working at once and no code is issued for it. */
export async function disableAgent(sdb: ServerDatabase, agentId: string, actor: Actor): Promise<{ name: string }> {
  return writeTransaction(sdb, async (trx) => {
    const agent = await activeAgent(trx, agentId);
    if (agent.disabled_at !== null) return { name: agent.name };
    const now = new Date().toISOString();
    await trx.updateTable('agents').set({ disabled_at: now }).where('id', '=', agentId).execute();
    const revoked = await trx.updateTable('tokens').set({ revoked_at: now }).where('agent_id', '=', agentId).where('revoked_at', 'is', null).executeTakeFirst();
    await trx.updateTable('enrolment_codes').set({ expires_at: now }).where('agent_id', '=', agentId).where('used_at', 'is', null).where('expires_at', '>', now).execute();
    await recordAudit(trx, actor, 'agent.disable', agentId, { name: agent.name, tokensRevoked: Number(revoked.numUpdatedRows) }, new Date(now));
    await logAgentState(trx, agentId, now);
    return { name: agent.name };
  });
}

export async function revokeTokenById(sdb: ServerDatabase, tokenId: string, actor: Actor): Promise<void> {
  await writeTransaction(sdb, async (trx) => {
    const token = await trx.selectFrom('tokens').select(['id', 'prefix', 'agent_id', 'revoked_at']).where('id', '=', tokenId).executeTakeFirst();
    if (!token) throw new AdminError('Jeton inconnu.', 'Unknown token.');
    if (token.revoked_at !== null) return;
    const now = new Date();
    await trx.updateTable('tokens').set({ revoked_at: now.toISOString() }).where('id', '=', tokenId).execute();
    await recordAudit(trx, actor, 'token.revoke', tokenId, { agentId: token.agent_id, prefix: token.prefix }, now);
  });
}

export interface IssuedCode {
  code: string;
  agentName: string;
  expiresAt: string;
}

export async function issueEnrolmentCode(sdb: ServerDatabase, agentId: string, actor: Actor, now: Date = new Date()): Promise<IssuedCode> {
  return writeTransaction(sdb, async (trx) => {
    const agent = await activeAgent(trx, agentId);
    if (agent.disabled_at !== null) throw new AdminError('Cet agent est désactivé.', 'This agent is disabled.');
    const code = newEnrolmentCode();
    const expiresAt = new Date(now.getTime() + enrolmentCodeLifetimeMs).toISOString();
    await trx
      .insertInto('enrolment_codes')
      .values({ code_hash: hashEnrolmentCode(code), agent_id: agentId, created_by: actor.userId, created_at: now.toISOString(), expires_at: expiresAt, used_at: null, token_id: null })
      .execute();
    // The code itself is never written anywhere but the answer to the person who asked for it.
    await recordAudit(trx, actor, 'enrolment.issue', agentId, { name: agent.name, expiresAt }, now);
    return { code, agentName: agent.name, expiresAt };
  });
}

// What the console changes about agents: create and disable them, revoke a token, issue an
// enrolment code. Each change and its audit row commit together.

import { createHash, randomInt } from 'node:crypto';
import { limits } from '../../contract/operations.ts';
import { isStorableText } from '../../contract/text.ts';
import { uuidv7 } from '../../db/ids.ts';
import { AdminError } from '../admin.ts';
import type { ServerDatabase } from '../storage/database.ts';
import { writeTransaction } from '../storage/tx.ts';
import { recordAudit, type Actor } from './audit.ts';

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

export async function createAgentFromConsole(sdb: ServerDatabase, name: string, actor: Actor): Promise<{ agentId: string; name: string }> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > limits.agentName || !isStorableText(trimmed)) {
    throw new AdminError(`Nom d’agent refusé : 1 à ${limits.agentName} caractères.`, `Agent name refused: 1 to ${limits.agentName} characters.`);
  }
  return writeTransaction(sdb, async (trx) => {
    const agentId = uuidv7();
    const now = new Date();
    await trx.insertInto('agents').values({ id: agentId, name: trimmed, created_at: now.toISOString() }).execute();
    await recordAudit(trx, actor, 'agent.create', agentId, { name: trimmed }, now);
    return { agentId, name: trimmed };
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

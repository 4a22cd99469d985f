// What an administrator does to a server database, from the CLI or from tests: enrol agents and
// give them tokens, revoke tokens, load the clients file, see which devices sync.
// Each function opens the database, does one transaction, and closes it.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { errorPayload, limits, type ImportRejectedLine, type ImportReport } from '../contract/index.ts';
import { clientRecordSchema } from '../contract/sync-protocol.ts';
import { parseClientsCsv, type ClientsSource, type ReadInfo } from '../db/csv-clients.ts';
import { uuidv7 } from '../db/ids.ts';
import { logClientChanges, storeClients, type ClientFields } from './clients.ts';
import { appendChanges } from './storage/changes.ts';
import { openServerDatabase, type ServerDatabase } from './storage/database.ts';
import { writeTransaction } from './storage/tx.ts';
import { hashToken, newToken, tokenPrefix, tokenPrefixLength } from './tokens.ts';

/** A refused admin command, worded for the administrator (French first). */
export class AdminError extends Error {
  readonly en: string;
  constructor(fr: string, en: string) {
    super(fr);
    this.name = 'AdminError';
    this.en = en;
  }
}

export type DatabaseRef = string | ServerDatabase;

async function withDatabase<T>(ref: DatabaseRef, work: (sdb: ServerDatabase) => Promise<T>): Promise<T> {
  if (typeof ref !== 'string') return work(ref);
  const sdb = await openServerDatabase(ref, { poolSize: 2 });
  try {
    return await work(sdb);
  } finally {
    await sdb.close();
  }
}

export interface IssuedToken {
  agentId: string;
  agentName: string;
  tokenId: string;
  /** Shown once: only its hash is stored. */
  token: string;
}

export async function createAgent(ref: DatabaseRef, name: string): Promise<IssuedToken> {
  const trimmed = name.trim();
  if (!trimmed) throw new AdminError('Le nom de l’agent est vide.', 'The agent name is empty.');
  if (trimmed.length > limits.agentName) {
    throw new AdminError(`Nom d’agent trop long (maximum ${limits.agentName} caractères).`, `Agent name too long (max ${limits.agentName}).`);
  }
  return withDatabase(ref, (sdb) =>
    writeTransaction(sdb, async (trx) => {
      const now = new Date().toISOString();
      const agentId = uuidv7();
      await trx.insertInto('agents').values({ id: agentId, name: trimmed, created_at: now, updated_at: now }).execute();
      const token = newToken();
      const tokenId = uuidv7();
      await trx
        .insertInto('tokens')
        .values({ id: tokenId, hash: hashToken(token), prefix: tokenPrefix(token), agent_id: agentId, created_at: now, last_used_at: null, revoked_at: null })
        .execute();
      // Desks pull agents as 'agentState' (feature 'record.agentState'); last in the transaction.
      await appendChanges(trx, [{ kind: 'agentState', ref: agentId }]);
      return { agentId, agentName: trimmed, tokenId, token };
    }),
  );
}

/** A new token for an existing agent (a second device, or after a revocation). */
export async function issueToken(ref: DatabaseRef, agentId: string): Promise<IssuedToken> {
  return withDatabase(ref, (sdb) =>
    writeTransaction(sdb, async (trx) => {
      const agent = await trx.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
      if (!agent) throw new AdminError(`Agent inconnu : ${agentId}`, `Unknown agent: ${agentId}`);
      const token = newToken();
      const tokenId = uuidv7();
      const now = new Date().toISOString();
      await trx
        .insertInto('tokens')
        .values({ id: tokenId, hash: hashToken(token), prefix: tokenPrefix(token), agent_id: agent.id, created_at: now, last_used_at: null, revoked_at: null })
        .execute();
      return { agentId: agent.id, agentName: agent.name, tokenId, token };
    }),
  );
}

export interface RevokedToken {
  tokenId: string;
  agentId: string;
  agentName: string;
  alreadyRevoked: boolean;
}

/** Minimum length of a token prefix accepted by revoke: shorter could match by accident. */
export const minRevokePrefix = 8;

/** Revokes by the full token, by the token id, or by a prefix of the token that matches one token only. */
export async function revokeToken(ref: DatabaseRef, tokenOrIdOrPrefix: string): Promise<RevokedToken> {
  const given = tokenOrIdOrPrefix.trim();
  if (!given) throw new AdminError('Jeton à révoquer non précisé.', 'No token given to revoke.');
  return withDatabase(ref, (sdb) =>
    writeTransaction(sdb, async (trx) => {
      // A device token (issue 9) has no agent: it is named by its desk.
      const base = trx.selectFrom('tokens').leftJoin('agents', 'agents.id', 'tokens.agent_id').select([
        'tokens.id as token_id',
        'tokens.revoked_at',
        'tokens.prefix',
        'tokens.device_id',
        'agents.id as agent_id',
        'agents.name as agent_name',
      ]);
      let matches = await base.where((eb) => eb.or([eb('tokens.hash', '=', hashToken(given)), eb('tokens.id', '=', given)])).execute();
      if (matches.length === 0 && given.length >= minRevokePrefix && given.length <= tokenPrefixLength) {
        // The start of a token, as list-agents shows it.
        const candidates = await base.where('tokens.prefix', '>=', given).where('tokens.prefix', '<', `${given}\uffff`).execute();
        matches = candidates.filter((c) => c.prefix.startsWith(given));
      }
      if (matches.length === 0) throw new AdminError('Aucun jeton ne correspond.', 'No token matches.');
      if (matches.length > 1) {
        throw new AdminError(
          `${matches.length} jetons correspondent : donnez le jeton entier ou son identifiant.`,
          `${matches.length} tokens match: give the whole token or its id.`,
        );
      }
      const match = matches[0]!;
      if (match.revoked_at === null) {
        await trx.updateTable('tokens').set({ revoked_at: new Date().toISOString() }).where('id', '=', match.token_id).execute();
      }
      return {
        tokenId: match.token_id,
        agentId: match.agent_id ?? '',
        agentName: match.agent_name ?? `poste ${match.device_id ?? '?'}`,
        alreadyRevoked: match.revoked_at !== null,
      };
    }),
  );
}

export interface AgentListing {
  agentId: string;
  name: string;
  createdAt: string;
  tokens: { tokenId: string; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }[];
}

export async function listAgents(ref: DatabaseRef): Promise<AgentListing[]> {
  return withDatabase(ref, async (sdb) => {
    const agents = await sdb.db.selectFrom('agents').selectAll().orderBy('name').orderBy('id').execute();
    const tokens = await sdb.db.selectFrom('tokens').selectAll().orderBy('created_at').execute();
    return agents.map((a) => ({
      agentId: a.id,
      name: a.name,
      createdAt: a.created_at,
      tokens: tokens
        .filter((t) => t.agent_id === a.id)
        .map((t) => ({ tokenId: t.id, prefix: t.prefix, createdAt: t.created_at, lastUsedAt: t.last_used_at, revokedAt: t.revoked_at })),
    }));
  });
}

export interface DeviceAgentListing {
  agentId: string;
  agentName: string;
  firstSeen: string;
  lastSeen: string;
  attemptsPushed: number;
  voidsPushed: number;
}

/** A device with every agent seen on it, most recent first; its times and counts span them all. */
export interface DeviceListing {
  deviceId: string;
  firstSeen: string;
  lastSeen: string;
  attemptsPushed: number;
  voidsPushed: number;
  agents: DeviceAgentListing[];
}

export async function listDevices(ref: DatabaseRef): Promise<DeviceListing[]> {
  return withDatabase(ref, async (sdb) => {
    const rows = await sdb.db
      .selectFrom('device_agents')
      .innerJoin('agents', 'agents.id', 'device_agents.agent_id')
      .select([
        'device_agents.device_id',
        'device_agents.agent_id',
        'agents.name as agent_name',
        'device_agents.first_seen',
        'device_agents.last_seen',
        'device_agents.attempts_pushed',
        'device_agents.voids_pushed',
      ])
      .orderBy('device_agents.last_seen', 'desc')
      .orderBy('device_agents.device_id')
      .orderBy('device_agents.agent_id')
      .execute();
    const devices = new Map<string, DeviceListing>();
    for (const r of rows) {
      const agent: DeviceAgentListing = {
        agentId: r.agent_id,
        agentName: r.agent_name,
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
        attemptsPushed: Number(r.attempts_pushed),
        voidsPushed: Number(r.voids_pushed),
      };
      const device = devices.get(r.device_id);
      if (!device) {
        devices.set(r.device_id, { deviceId: r.device_id, ...agent, agents: [agent] });
        continue;
      }
      // Rows come most recent first: the device's last sighting is its first row's.
      device.agents.push(agent);
      if (agent.firstSeen < device.firstSeen) device.firstSeen = agent.firstSeen;
      device.attemptsPushed += agent.attemptsPushed;
      device.voidsPushed += agent.voidsPushed;
    }
    return [...devices.values()].map(({ deviceId, firstSeen, lastSeen, attemptsPushed, voidsPushed, agents }) => ({
      deviceId,
      firstSeen,
      lastSeen,
      attemptsPushed,
      voidsPushed,
      agents,
    }));
  });
}

/** Clients given directly (tests, scripts): validated like pulled records, stored in one transaction. */
export async function putClients(ref: DatabaseRef, clients: ClientFields[]): Promise<{ inserted: number; updated: number; unchanged: number }> {
  const at = new Date().toISOString();
  const valid = clients.map((c) => clientRecordSchema.parse({ ...c, updatedAt: at }));
  return withDatabase(ref, (sdb) =>
    writeTransaction(sdb, async (trx) => {
      const { outcomes, changed } = await storeClients(trx, valid.map(({ updatedAt: _u, ...c }) => c), at);
      await logClientChanges(trx, changed);
      return {
        inserted: outcomes.filter((o) => o === 'inserted').length,
        updated: outcomes.filter((o) => o === 'updated').length,
        unchanged: outcomes.filter((o) => o === 'unchanged').length,
      };
    }),
  );
}

export const maxRejectedListed = 1000;

/**
 * Loads a clients CSV with the app's own reader (same columns, same rules, same line errors),
 * every valid line in one transaction: the import lands whole or not at all. A line the protocol
 * could not carry to the devices is rejected here rather than refused by every device later.
 */
export async function importClients(ref: DatabaseRef, source: string | ClientsSource): Promise<ImportReport> {
  if (typeof source === 'string') {
    const size = (await stat(source)).size;
    if (size > limits.importBytes) {
      const p = errorPayload('import.tooLarge', { size, max: limits.importBytes });
      throw new AdminError(p.message.fr, p.message.en);
    }
  }
  const input: ClientsSource = typeof source === 'string' ? createReadStream(source) : source;
  const at = new Date().toISOString();
  return withDatabase(ref, (sdb) =>
    writeTransaction(sdb, async (trx) => {
      let total = 0;
      let rejectedCount = 0;
      const rejected: ImportRejectedLine[] = [];
      const reject = (line: number, code: Parameters<typeof errorPayload>[0], params: Record<string, string | number>) => {
        rejectedCount++;
        if (rejected.length < maxRejectedListed) rejected.push({ line, code, message: errorPayload(code, params).message });
      };
      const batch: ClientFields[] = [];
      const outcomes: string[] = [];
      const changed: string[] = [];
      const flush = async () => {
        const stored = await storeClients(trx, batch.splice(0), at);
        outcomes.push(...stored.outcomes);
        changed.push(...stored.changed);
      };
      const read: ReadInfo = { encoding: 'utf-8' };
      for await (const entry of parseClientsCsv(input, read)) {
        total++;
        if ('rejected' in entry) {
          reject(entry.line, entry.rejected.code, entry.rejected.params);
          continue;
        }
        const checked = clientRecordSchema.safeParse({ ...entry.client, updatedAt: at });
        if (!checked.success) {
          const issue = checked.error.issues[0];
          reject(entry.line, 'import.line.tooLong', { column: String(issue?.path[0] ?? '?') });
          continue;
        }
        const { updatedAt: _u, ...client } = checked.data;
        batch.push(client);
        if (batch.length >= 1000) await flush();
      }
      await flush();
      await logClientChanges(trx, changed);
      return {
        total,
        inserted: outcomes.filter((o) => o === 'inserted').length,
        updated: outcomes.filter((o) => o !== 'inserted').length, // 'unchanged' counts as updated, as in the app
        rejected,
        rejectedTruncated: rejectedCount > rejected.length,
        encoding: read.encoding,
      };
    }),
  );
}

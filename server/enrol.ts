// POST /v1/enrol: a desk trades an enrolment code (short, single use, expiring; issued in the
// console) for an access token, so nobody copies a token by hand: an agent code for that agent's
// token (as before), a device code (feature 'agent.signIn') for the desk's own device token, bound
// to its deviceId. No bearer token here; the code is the credential, so the route has its own,
// tighter, per-address rate limit.

import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import {
  enrolRequestSchema,
  protocolHeader,
  protocolVersion,
  type DeviceEnrolResponse,
  type EnrolAnswer,
  type EnrolResponse,
  type SignInRules,
} from '../contract/sync-protocol.ts';
import { uuidv7 } from '../db/ids.ts';
import { recordAudit } from './console/audit.ts';
import { hashEnrolmentCode } from './console/agents.ts';
import { ProtocolFailure } from './failure.ts';
import type { ServerDatabase } from './storage/database.ts';
import { writeTransaction } from './storage/tx.ts';
import { hashToken, newToken, tokenPrefix } from './tokens.ts';

export interface EnrolOptions {
  sdb: ServerDatabase;
  clock: { now(): Date };
  /** Tries per address per minute. */
  perMinute?: number;
  /** Sent with a device token: what the desk's agents sign in with. */
  signIn: SignInRules;
}

export async function exchangeEnrolmentCode(sdb: ServerDatabase, code: string, deviceId: string | null, now: Date, signIn: SignInRules): Promise<EnrolAnswer> {
  const hash = hashEnrolmentCode(code);
  const device = await sdb.db.selectFrom('device_enrolment_codes').select('code_hash').where('code_hash', '=', hash).executeTakeFirst();
  if (device) return exchangeDeviceCode(sdb, hash, deviceId, now, signIn);
  return writeTransaction(sdb, async (trx): Promise<EnrolResponse> => {
    const at = now.toISOString();
    const row = await trx
      .selectFrom('enrolment_codes')
      .innerJoin('agents', 'agents.id', 'enrolment_codes.agent_id')
      .select(['enrolment_codes.code_hash', 'agents.id as agent_id', 'agents.name as agent_name', 'agents.disabled_at'])
      .where('enrolment_codes.code_hash', '=', hashEnrolmentCode(code))
      .where('enrolment_codes.used_at', 'is', null)
      .where('enrolment_codes.expires_at', '>', at)
      .executeTakeFirst();
    if (!row || row.disabled_at !== null) throw new ProtocolFailure('enrol.invalid');
    const token = newToken();
    const tokenId = uuidv7();
    // Guarded on used_at, so two desks racing with one code get one token between them.
    const used = await trx
      .updateTable('enrolment_codes')
      .set({ used_at: at, token_id: tokenId })
      .where('code_hash', '=', row.code_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) throw new ProtocolFailure('enrol.invalid');
    await trx
      .insertInto('tokens')
      .values({ id: tokenId, hash: hashToken(token), prefix: tokenPrefix(token), agent_id: row.agent_id, created_at: at, last_used_at: null, revoked_at: null })
      .execute();
    await recordAudit(trx, { userId: 'desk', login: deviceId ? `poste ${deviceId}` : 'poste' }, 'enrolment.use', row.agent_id, { tokenId, deviceId }, now);
    return { kind: 'agent', token, agentId: row.agent_id, agentName: row.agent_name, serverTime: at };
  });
}

/**
 * A device code: the desk gets its device token, bound to the deviceId it sends (required). A desk
 * enrolled again (reinstalled, moved) gets a new token; its previous device tokens are revoked.
 */
async function exchangeDeviceCode(sdb: ServerDatabase, hash: string, deviceId: string | null, now: Date, signIn: SignInRules): Promise<DeviceEnrolResponse> {
  if (deviceId === null) throw new ProtocolFailure('body.invalid', 'deviceId');
  return writeTransaction(sdb, async (trx) => {
    const at = now.toISOString();
    const token = newToken();
    const tokenId = uuidv7();
    // Guarded on used_at and expiry, so two desks racing with one code get one token between them.
    const used = await trx
      .updateTable('device_enrolment_codes')
      .set({ used_at: at, token_id: tokenId, device_id: deviceId })
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) throw new ProtocolFailure('enrol.invalid');
    await trx.updateTable('tokens').set({ revoked_at: at }).where('kind', '=', 'device').where('device_id', '=', deviceId).where('revoked_at', 'is', null).execute();
    await trx
      .insertInto('tokens')
      .values({ id: tokenId, hash: hashToken(token), prefix: tokenPrefix(token), agent_id: null, kind: 'device', device_id: deviceId, created_at: at, last_used_at: null, revoked_at: null })
      .execute();
    await recordAudit(trx, { userId: 'desk', login: `poste ${deviceId}` }, 'device.enrolmentUse', deviceId, { tokenId, deviceId }, now);
    return { kind: 'device', deviceToken: token, deviceId, serverTime: at, signIn };
  });
}

export async function enrolRoutes(app: FastifyInstance, options: EnrolOptions): Promise<void> {
  await app.register(rateLimit, {
    max: options.perMinute ?? 10,
    timeWindow: 60_000,
    hook: 'onRequest',
    keyGenerator: (request) => `enrol:${request.ip}`,
    errorResponseBuilder: () => new ProtocolFailure('rate.limited'),
  });
  app.post('/enrol', async (request): Promise<EnrolAnswer> => {
    const version = request.headers[protocolHeader];
    if (version !== String(protocolVersion)) {
      throw new ProtocolFailure('protocol.unsupported', `${protocolHeader}: ${String(version ?? '-').slice(0, 20)}`);
    }
    const parsed = enrolRequestSchema.safeParse(request.body);
    if (!parsed.success) throw new ProtocolFailure('body.invalid', 'code');
    return exchangeEnrolmentCode(options.sdb, parsed.data.code, parsed.data.deviceId ?? null, options.clock.now(), options.signIn);
  });
}

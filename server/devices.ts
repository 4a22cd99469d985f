// Which desks sync, and which agents were seen on each: one row per (device, agent), so a desk
// shared by several agents lists each of them with their own counts instead of being re-attributed
// to whoever pushed last. A pull or a /v1/me counts as seen too, so a desk that only reads appears.

import type { Kysely } from 'kysely';
import { isStorableText } from '../contract/text.ts';
import type { ServerSchema } from './storage/schema.ts';

export interface DeviceSighting {
  deviceId: string;
  agentId: string;
  at: string;
  attempts: number;
  voids: number;
}

/** Inside the push's transaction, after its attempts and voids: the counts are those it applied. */
export async function recordPushingDevice(trx: Kysely<ServerSchema>, seen: DeviceSighting): Promise<void> {
  await trx
    .insertInto('device_agents')
    .values({
      device_id: seen.deviceId,
      agent_id: seen.agentId,
      first_seen: seen.at,
      last_seen: seen.at,
      attempts_pushed: seen.attempts,
      voids_pushed: seen.voids,
    })
    .onConflict((oc) =>
      oc.columns(['device_id', 'agent_id']).doUpdateSet((eb) => ({
        last_seen: seen.at,
        attempts_pushed: eb('device_agents.attempts_pushed', '+', seen.attempts),
        voids_pushed: eb('device_agents.voids_pushed', '+', seen.voids),
      })),
    )
    .execute();
}

/** A read (pull page, /v1/me) moves last_seen at most this often per device and agent, per instance. */
export const readSightingResolutionMs = 60_000;

/**
 * Sightings from requests without a body, named by the x-desk-device header. Written outside any
 * push transaction and throttled in memory: a desk pulling page after page costs one write a minute.
 */
export class ReadSightings {
  private readonly written = new Map<string, number>();
  private readonly db: Kysely<ServerSchema>;

  constructor(db: Kysely<ServerSchema>) {
    this.db = db;
  }

  async note(deviceId: string, agentId: string, now: Date): Promise<void> {
    if (!isStorableText(deviceId)) return;
    const key = `${agentId}\u0000${deviceId}`;
    const last = this.written.get(key);
    if (last !== undefined && now.getTime() - last < readSightingResolutionMs) return;
    this.written.set(key, now.getTime());
    if (this.written.size > 100_000) this.written.clear();
    const at = now.toISOString();
    await this.db
      .insertInto('device_agents')
      .values({ device_id: deviceId, agent_id: agentId, first_seen: at, last_seen: at, attempts_pushed: 0, voids_pushed: 0 })
      .onConflict((oc) =>
        oc
          .columns(['device_id', 'agent_id'])
          .doUpdateSet({ last_seen: at })
          // A push committed meanwhile may already say later.
          .where('device_agents.last_seen', '<', at),
      )
      .execute();
  }
}

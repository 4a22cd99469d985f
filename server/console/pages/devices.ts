// Postes: every device that pushed, with each agent that pushed from it, when it was first and last seen pushing, and
// what it sent.

import type { Kysely } from 'kysely';
import type { ServerSchema } from '../../storage/schema.ts';
import { html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';
import { serverTime } from '../time.ts';

export interface DeviceRow {
  id: string;
  agent_id: string;
  agent_name: string;
  first_seen: string;
  last_seen: string;
  attempts_pushed: number;
  voids_pushed: number;
}

export async function loadDevices(db: Kysely<ServerSchema>): Promise<DeviceRow[]> {
  const rows = await db
    .selectFrom('device_agents')
    .innerJoin('agents', 'agents.id', 'device_agents.agent_id')
    .select([
      'device_agents.device_id as id',
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
  return rows.map((r) => ({ ...r, attempts_pushed: Number(r.attempts_pushed), voids_pushed: Number(r.voids_pushed) }));
}

export function devicesPage(ctx: PageContext, devices: DeviceRow[]): string {
  const en = ctx.locale === 'en';
  const h = en
    ? { caption: 'Devices, most recently seen first', device: 'Device', agent: 'Agent', first: 'First push', last: 'Last push', attempts: 'Attempts received', voids: 'Voids received', none: 'No device has pushed yet.' }
    : { caption: 'Postes, vus le plus récemment d’abord', device: 'Poste', agent: 'Agent', first: 'Premier envoi', last: 'Dernier envoi', attempts: 'Tentatives reçues', voids: 'Annulations reçues', none: 'Aucun poste n’a encore envoyé de tentative.' };
  const body =
    devices.length === 0
      ? html`<p role="status">${h.none}</p>`
      : html`<table><caption>${h.caption}</caption>
      <thead><tr><th scope="col">${h.device}</th><th scope="col">${h.agent}</th><th scope="col">${h.first}</th><th scope="col">${h.last}</th><th scope="col" class="num">${h.attempts}</th><th scope="col" class="num">${h.voids}</th></tr></thead>
      <tbody>${devices.map(
        (d) => html`<tr><td><a href="/console/journal?device=${encodeURIComponent(d.id)}">${d.id}</a></td><td>${d.agent_name}</td>
          <td>${serverTime(d.first_seen, ctx.timeZone, ctx.locale)}</td><td>${serverTime(d.last_seen, ctx.timeZone, ctx.locale)}</td>
          <td class="num">${d.attempts_pushed}</td><td class="num">${d.voids_pushed}</td></tr>`,
      )}</tbody></table>`;
  return page(ctx, ctx.words.nav.devices, body, 'devices');
}

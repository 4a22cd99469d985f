// Postes: every device that pushed, with each agent that pushed from it, when it was first and last seen pushing, what
// it sent, and what the desk last reported of itself (version, outbox, dead letters and why).

import type { Kysely } from 'kysely';
import type { ServerSchema } from '../../storage/schema.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField, message, page, type PageContext } from '../layout.ts';
import { agentEventsTable, type AgentEventRow } from './agent-events.ts';
import { serverTime } from '../time.ts';

export interface DeviceRow {
  id: string;
  agent_id: string;
  agent_name: string;
  first_seen: string;
  last_seen: string;
  attempts_pushed: number;
  voids_pushed: number;
  app_version: string | null;
  outbox_pending: number | null;
  dead_letters: number | null;
  dead_letter_reasons: string | null;
  reported_at: string | null;
}

export async function loadDevices(db: Kysely<ServerSchema>): Promise<DeviceRow[]> {
  const rows = await db
    .selectFrom('device_agents')
    .innerJoin('agents', 'agents.id', 'device_agents.agent_id')
    .leftJoin('device_reports', 'device_reports.device_id', 'device_agents.device_id')
    .select([
      'device_agents.device_id as id',
      'device_agents.agent_id',
      'agents.name as agent_name',
      'device_agents.first_seen',
      'device_agents.last_seen',
      'device_agents.attempts_pushed',
      'device_agents.voids_pushed',
      'device_reports.app_version',
      'device_reports.outbox_pending',
      'device_reports.dead_letters',
      'device_reports.dead_letter_reasons',
      'device_reports.reported_at',
    ])
    .orderBy('device_agents.last_seen', 'desc')
    .orderBy('device_agents.device_id')
    .orderBy('device_agents.agent_id')
    .execute();
  return rows.map((r) => ({
    ...r,
    attempts_pushed: Number(r.attempts_pushed),
    voids_pushed: Number(r.voids_pushed),
    outbox_pending: r.outbox_pending === null ? null : Number(r.outbox_pending),
    dead_letters: r.dead_letters === null ? null : Number(r.dead_letters),
  }));
}

/** Desks enrolled with a device code (issue 9): one row per device token, newest first. */
export interface EnrolledDeskRow {
  id: string;
  device_id: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export async function loadEnrolledDesks(db: Kysely<ServerSchema>): Promise<EnrolledDeskRow[]> {
  return db
    .selectFrom('tokens')
    .select(['id', 'device_id', 'created_at', 'last_used_at', 'revoked_at'])
    .where('kind', '=', 'device')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(1000)
    .execute() as Promise<EnrolledDeskRow[]>;
}

export interface DevicesNotice {
  error?: string;
  code?: { code: string; expiresAt: string };
}

function enrolSection(ctx: PageContext, desks: EnrolledDeskRow[], mayEnrol: boolean, notice: DevicesNotice): SafeHtml {
  const w = ctx.words.devices;
  return html`${message('error', notice.error)}
    ${notice.code
      ? html`<p class="message ok" role="status">${w.codeIssued} <strong class="code">${notice.code.code}</strong><br>${ctx.words.agents.codeValidUntil(serverTime(notice.code.expiresAt, ctx.timeZone, ctx.locale))}</p>`
      : ''}
    ${mayEnrol
      ? html`<form method="post" action="/console/devices/enrolment-code" class="card">${csrfField(ctx)}<p>${w.enrolHint}</p><button type="submit">${w.enrol}</button></form>`
      : ''}
    ${desks.length === 0
      ? ''
      : html`<table><caption>${w.enrolled}</caption>
      <thead><tr><th scope="col">${w.colDevice}</th><th scope="col">${w.colEnrolled}</th><th scope="col">${w.colLastUsed}</th><th scope="col">${w.colState}</th><th scope="col">${w.events}</th></tr></thead>
      <tbody>${desks.map(
        (d) => html`<tr><td>${d.device_id}</td><td>${serverTime(d.created_at, ctx.timeZone, ctx.locale)}</td>
          <td>${d.last_used_at ? serverTime(d.last_used_at, ctx.timeZone, ctx.locale) : '—'}</td>
          <td>${d.revoked_at
            ? w.revoked(serverTime(d.revoked_at, ctx.timeZone, ctx.locale))
            : mayEnrol
              ? html`${w.active} <form method="post" action="/console/tokens/${encodeURIComponent(d.id)}/revoke" class="inline">${csrfField(ctx)}<button type="submit" class="danger">${w.revoke(d.device_id)}</button></form>`
              : w.active}</td>
          <td><a href="/console/devices/${encodeURIComponent(d.device_id)}">${w.eventsOf(d.device_id)}</a></td></tr>`,
      )}</tbody></table>`}`;
}

/** One desk's sign-in events (Postes → a desk). */
export function deviceEventsPage(ctx: PageContext, deviceId: string, events: AgentEventRow[]): string {
  return page(ctx, ctx.words.devices.eventsOf(deviceId), agentEventsTable(ctx, deviceId, events, 'agent'), 'devices');
}

export function devicesPage(
  ctx: PageContext,
  devices: DeviceRow[],
  enrolled: EnrolledDeskRow[] = [],
  mayEnrol = false,
  notice: DevicesNotice = {},
): string {
  const en = ctx.locale === 'en';
  const h = en
    ? { caption: 'Devices, most recently seen first', device: 'Device', agent: 'Agent', first: 'First push', last: 'Last push', attempts: 'Attempts received', voids: 'Voids received', version: 'App version', pending: 'Waiting to send', dead: 'Dead letters (reported)', none: 'No device has pushed yet.', notReported: 'not reported' }
    : { caption: 'Postes, vus le plus récemment d’abord', device: 'Poste', agent: 'Agent', first: 'Premier envoi', last: 'Dernier envoi', attempts: 'Tentatives reçues', voids: 'Annulations reçues', version: 'Version', pending: 'En attente d’envoi', dead: 'En échec (signalées)', none: 'Aucun poste n’a encore envoyé de tentative.', notReported: 'non signalé' };
  const reasons = (d: DeviceRow) => (d.dead_letter_reasons ? (JSON.parse(d.dead_letter_reasons) as { reason: string; count: number }[]) : []);
  const body = html`${enrolSection(ctx, enrolled, mayEnrol, notice)}${
    devices.length === 0
      ? html`<p role="status">${h.none}</p>`
      : html`<table><caption>${h.caption}</caption>
      <thead><tr><th scope="col">${h.device}</th><th scope="col">${h.agent}</th><th scope="col">${h.first}</th><th scope="col">${h.last}</th><th scope="col" class="num">${h.attempts}</th><th scope="col" class="num">${h.voids}</th><th scope="col">${h.version}</th><th scope="col" class="num">${h.pending}</th><th scope="col">${h.dead}</th></tr></thead>
      <tbody>${devices.map(
        (d) => html`<tr><td><a href="/console/journal?device=${encodeURIComponent(d.id)}">${d.id}</a></td><td>${d.agent_name}</td>
          <td>${serverTime(d.first_seen, ctx.timeZone, ctx.locale)}</td><td>${serverTime(d.last_seen, ctx.timeZone, ctx.locale)}</td>
          <td class="num">${d.attempts_pushed}</td><td class="num">${d.voids_pushed}</td>
          <td>${d.app_version ?? html`<span class="muted">${h.notReported}</span>`}</td>
          <td class="num">${d.outbox_pending ?? '—'}</td>
          <td>${d.dead_letters === null ? '—' : html`${d.dead_letters}${reasons(d).length ? html`<ul>${reasons(d).map((r) => html`<li>${r.reason} (${r.count})</li>`)}</ul>` : ''}`}</td></tr>`,
      )}</tbody></table>`
  }`;
  return page(ctx, ctx.words.nav.devices, body, 'devices');
}

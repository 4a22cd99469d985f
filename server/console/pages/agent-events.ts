// Sign-in events (agent_events, issue 9) as the console shows them: for one desk (Postes) or one agent
// (Agents), newest first. What desks pushed and what the server decided itself, side by side.

import type { Kysely } from 'kysely';
import type { ServerSchema } from '../../storage/schema.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PageContext } from '../layout.ts';
import { serverTime } from '../time.ts';

export interface AgentEventRow {
  id: string;
  at: string;
  source: string;
  kind: string;
  agent_id: string | null;
  agent_name: string | null;
  login: string | null;
  device_id: string;
  offline: number;
  detail: string | null;
}

/** The latest events of one desk or one agent (index agent_events_by_device / _by_agent). */
export async function loadAgentEvents(db: Kysely<ServerSchema>, by: { deviceId: string } | { agentId: string }, limit = 200): Promise<AgentEventRow[]> {
  let query = db
    .selectFrom('agent_events')
    .leftJoin('agents', 'agents.id', 'agent_events.agent_id')
    .select([
      'agent_events.id',
      'agent_events.at',
      'agent_events.source',
      'agent_events.kind',
      'agent_events.agent_id',
      'agents.name as agent_name',
      'agent_events.login',
      'agent_events.device_id',
      'agent_events.offline',
      'agent_events.detail',
    ]);
  query = 'deviceId' in by ? query.where('agent_events.device_id', '=', by.deviceId) : query.where('agent_events.agent_id', '=', by.agentId);
  const rows = await query.orderBy('agent_events.at', 'desc').orderBy('agent_events.id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ ...r, offline: Number(r.offline) }));
}

export function agentEventsTable(ctx: PageContext, who: string, rows: AgentEventRow[], show: 'device' | 'agent'): SafeHtml {
  const w = ctx.words.agentEvents;
  if (rows.length === 0) return html`<p role="status">${w.none}</p>`;
  return html`<table><caption>${w.caption(who)}</caption>
    <thead><tr><th scope="col">${w.at}</th><th scope="col">${show === 'device' ? w.device : w.agent}</th><th scope="col">${w.login}</th><th scope="col">${w.event}</th><th scope="col">${w.where}</th><th scope="col">${w.detail}</th></tr></thead>
    <tbody>${rows.map(
      (e) => html`<tr>
        <td>${serverTime(e.at, ctx.timeZone, ctx.locale)}</td>
        <td>${show === 'device'
          ? html`<a href="/console/devices/${encodeURIComponent(e.device_id)}">${e.device_id}</a>`
          : e.agent_name ?? html`<span class="muted">—</span>`}</td>
        <td>${e.login ?? '—'}</td>
        <td>${w.kinds[e.kind] ?? e.kind}</td>
        <td>${e.source === 'server' ? w.online : e.offline ? w.offline : w.deskOnline}</td>
        <td>${e.detail ? (w.details[e.detail] ?? e.detail) : ''}</td>
      </tr>`,
    )}</tbody></table>`;
}

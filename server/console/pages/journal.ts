// Journal page: the filter form (a GET form, so every filtered view is a link), one page of
// attempts, the link to older ones, and the export links carrying the same filters.

import { attemptStatuses, knownChannels } from '../../../contract/enums.ts';
import { defaultReasons, reasonLabel, type ReasonDefinition } from '../../../contract/reasons.ts';
import { html, type SafeHtml } from '../html.ts';
import type { JournalNews, JournalQuery, JournalRow } from '../journal.ts';
import { page, type PageContext } from '../layout.ts';
import { attemptTime, serverTime } from '../time.ts';

export interface JournalChoices {
  agents: { id: string; name: string }[];
  devices: string[];
  /** The site's reasons: the filter's choices and the words of the reason column. */
  reasons: ReasonDefinition[];
}

/** The filters as a query string (without the cursor), for links back to this view. */
export function filterQuery(filter: JournalQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'channel', 'reason', 'agent', 'device', 'from', 'to', 'client', 'voided'] as const) {
    const value = filter[key];
    if (value) params.set(key, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function statusBadge(ctx: PageContext, status: 'success' | 'failure' | 'never'): SafeHtml {
  return html`<span class="badge ${status}">${ctx.words.status[status]}</span>`;
}

function select(name: string, label: string, id: string, options: { value: string; label: string }[], selected: string | undefined, anyLabel: string | null): SafeHtml {
  return html`<div class="field"><label for="${id}">${label}</label>
    <select id="${id}" name="${name}">
      ${anyLabel === null ? '' : html`<option value="">${anyLabel}</option>`}
      ${options.map((o) => html`<option value="${o.value}"${o.value === selected ? html` selected` : ''}>${o.label}</option>`)}
    </select></div>`;
}

function filterForm(ctx: PageContext, filter: JournalQuery, choices: JournalChoices): SafeHtml {
  const w = ctx.words.journal;
  const channels = [...knownChannels, ...(filter.channel && !(knownChannels as readonly string[]).includes(filter.channel) ? [filter.channel] : [])];
  return html`<form method="get" action="/console/journal" class="card" role="search" aria-label="${w.filters}">
    <div class="filters">
      ${select('status', w.status, 'f-status', attemptStatuses.map((s) => ({ value: s, label: ctx.words.status[s] })), filter.status, w.any)}
      ${select('channel', w.channel, 'f-channel', channels.map((c) => ({ value: c, label: ctx.words.channels[c] ?? c })), filter.channel, w.any)}
      ${select('reason', w.reason, 'f-reason', choices.reasons.map((r) => ({ value: r.code, label: r.label[ctx.locale] })), filter.reason, w.any)}
      ${select('agent', w.agent, 'f-agent', choices.agents.map((a) => ({ value: a.id, label: a.name })), filter.agent, w.any)}
      ${select('device', w.device, 'f-device', choices.devices.map((d) => ({ value: d, label: d })), filter.device, w.any)}
      <div class="field"><label for="f-from">${w.from}</label><input id="f-from" name="from" type="date" value="${filter.from ?? ''}"></div>
      <div class="field"><label for="f-to">${w.to}</label><input id="f-to" name="to" type="date" value="${filter.to ?? ''}"></div>
      <div class="field"><label for="f-client">${w.client}</label><input id="f-client" name="client" type="search" value="${filter.client ?? ''}" autocomplete="off"></div>
      ${select('voided', w.voided, 'f-voided', [{ value: 'shown', label: w.voidedShown }, { value: 'hidden', label: w.voidedHidden }], filter.voided ?? 'shown', null)}
      <button type="submit">${w.apply}</button>
      <a href="/console/journal">${w.reset}</a>
    </div>
  </form>`;
}

export function attemptRows(ctx: PageContext, rows: JournalRow[], withClient: boolean, reasons: readonly ReasonDefinition[] = defaultReasons): SafeHtml {
  const w = ctx.words.journal;
  return html`${rows.map(
    (r) => html`<tr${r.voided_at ? html` class="voided"` : ''}>
      <td>${attemptTime(r.occurred_at, r.utc_offset_min, ctx.locale)}</td>
      <td>${serverTime(r.received_at, ctx.timeZone, ctx.locale)}</td>
      ${withClient ? html`<td><a href="/console/clients/${encodeURIComponent(r.client_code)}">${r.client_name}</a> <span class="muted">${r.client_code}</span></td>` : ''}
      <td>${r.agent_name}<br><span class="muted">${r.device_id}</span></td>
      <td>${statusBadge(ctx, r.status)}</td>
      <td>${r.reason_code === null ? '' : reasonLabel(reasons, r.reason_code, ctx.locale)}</td>
      <td>${ctx.words.channels[r.channel] ?? r.channel}</td>
      <td class="note">${r.note ?? ''}</td>
      <td>${r.voided_at ? w.voidedBy(r.void_agent_name ?? '?', serverTime(r.voided_at, ctx.timeZone, ctx.locale), r.void_reason ?? '') : ''}</td>
    </tr>`,
  )}`;
}

export function attemptTable(ctx: PageContext, rows: JournalRow[], caption: string, withClient: boolean, reasons: readonly ReasonDefinition[] = defaultReasons): SafeHtml {
  const c = ctx.words.journal.columns;
  return html`<table>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${c.time}</th><th scope="col">${c.received}</th>${withClient ? html`<th scope="col">${c.client}</th>` : ''}<th scope="col">${c.agent}</th><th scope="col">${c.status}</th><th scope="col">${c.reason}</th><th scope="col">${c.channel}</th><th scope="col">${c.note}</th><th scope="col">${c.voided}</th></tr></thead>
    <tbody>${attemptRows(ctx, rows, withClient, reasons)}</tbody>
  </table>`;
}

export function journalPageHtml(ctx: PageContext, filter: JournalQuery, choices: JournalChoices, rows: JournalRow[], next: string | null, mark: (JournalNews & { pollMs: number }) | null = null): string {
  const w = ctx.words.journal;
  // The live region assets/journal-live.js fills: empty (and silent) until attempts arrive.
  const live = mark
    ? html`<p id="journal-live" class="live" role="status" aria-label="${w.liveLabel}" data-every="${mark.pollMs}" data-news="/console/journal/news${filterQuery(filter, { since: mark.seq, at: mark.at })}"></p>
      <script src="/console/assets/journal-live.js" defer></script>`
    : '';
  const body = html`${filterForm(ctx, filter, choices)}
    <div class="actions">
      <a href="/console/journal.csv${filterQuery(filter)}" download>${w.exportCsv}</a>
      <a href="/console/journal.xlsx${filterQuery(filter)}" download>${w.exportXlsx}</a>
    </div>
    ${live}
    ${rows.length === 0 ? html`<p role="status">${w.empty}</p>` : attemptTable(ctx, rows, w.caption, true, choices.reasons)}
    <div class="actions">
      ${filter.after ? html`<a href="/console/journal${filterQuery(filter)}">${w.first}</a>` : ''}
      ${next ? html`<a href="/console/journal${filterQuery(filter, { after: next })}" rel="next">${w.next}</a>` : ''}
    </div>`;
  return page(ctx, w.heading, body, 'journal');
}

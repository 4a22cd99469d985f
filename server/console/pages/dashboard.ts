// Tableau de bord: for a day or a period, attempts and success rate, per agent and per channel,
// attempts per hour as an SVG bar chart (scales by d3-scale), clients never notified, clients whose
// last N attempts all failed (longest streak first). Each figure links to the journal with the matching filters.

import { scaleBand, scaleLinear } from 'd3-scale';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { ServerSchema } from '../../storage/schema.ts';
import { html, type SafeHtml } from '../html.ts';
import { page, type PageContext } from '../layout.ts';
import { dayOf, dayStartUtc, nextDay, zoneOffsetMin } from '../time.ts';
import { filterQuery } from './journal.ts';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((d) => !Number.isNaN(Date.parse(d)));
const blank = (v: unknown) => (v === '' ? undefined : v);

export const dashboardQuerySchema = z.object({
  from: z.preprocess(blank, day.optional()),
  to: z.preprocess(blank, day.optional()),
  streak: z.preprocess(blank, z.coerce.number().int().min(1).max(20).optional()),
  lang: z.enum(['fr', 'en']).optional(),
});
export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;

interface Tally {
  key: string;
  label: string;
  attempts: number;
  successes: number;
}

export interface Dashboard {
  from: string;
  to: string;
  streak: number;
  attempts: number;
  successes: number;
  perAgent: Tally[];
  perChannel: Tally[];
  /** Attempts per hour of the day in the console's zone, 0 to 23. */
  perHour: number[];
  neverNotified: number;
  failedStreak: { code: string; name: string }[];
  failedStreakCount: number;
}

const notVoided = sql<boolean>`NOT EXISTS (SELECT 1 FROM voids WHERE voids.attempt_id = attempts.id)`;
const success = sql<number>`SUM(CASE WHEN status = 'success' THEN n ELSE 0 END)`;

interface AgentCell {
  agent_id: string;
  agent_name: string;
  n: number;
  ok: number;
}
interface ChannelCell {
  channel: string;
  hour: string;
  n: number;
  ok: number;
}

const hourMs = 3_600_000;

/** Counted from the attempts themselves, [start, end): the minutes of a period that are not whole UTC hours. */
async function countedCells(db: Kysely<ServerSchema>, start: string, end: string): Promise<{ agents: AgentCell[]; channels: ChannelCell[] }> {
  if (start >= end) return { agents: [], channels: [] };
  const rows = await db
    .selectFrom('attempts')
    .where('occurred_at', '>=', start)
    .where('occurred_at', '<', end)
    .where(notVoided)
    .select([
      'agent_id',
      'agent_name',
      'channel',
      sql<string>`substr(occurred_at, 1, 13)`.as('hour'),
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number>`SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END)`.as('ok'),
    ])
    .groupBy(['agent_id', 'agent_name', 'channel', sql`substr(occurred_at, 1, 13)`])
    .execute();
  return { agents: rows, channels: rows };
}

/**
 * The period's cells: whole UTC hours from the tallies the push keeps (server/attempt-tallies.ts),
 * and, only when a bound of the period falls inside an hour (a zone at +05:30), its edge minutes
 * counted from the attempts. Exact either way.
 */
async function periodCells(db: Kysely<ServerSchema>, start: Date, end: Date): Promise<{ agents: AgentCell[]; channels: ChannelCell[] }> {
  const firstHour = new Date(Math.ceil(start.getTime() / hourMs) * hourMs);
  const lastHour = new Date(Math.max(firstHour.getTime(), Math.floor(end.getTime() / hourMs) * hourMs));
  const agents: AgentCell[] = [];
  const channels: ChannelCell[] = [];
  if (firstHour < lastHour) {
    const from = firstHour.toISOString().slice(0, 13);
    const to = lastHour.toISOString().slice(0, 13);
    agents.push(
      ...(await db
        .selectFrom('attempt_tally_agents')
        .where('hour', '>=', from)
        .where('hour', '<', to)
        .select(['agent_id', 'agent_name', sql<number>`SUM(n)`.as('n'), success.as('ok')])
        .groupBy(['agent_id', 'agent_name'])
        .execute()),
    );
    channels.push(
      ...(await db
        .selectFrom('attempt_tally_channels')
        .where('hour', '>=', from)
        .where('hour', '<', to)
        .select(['channel', 'hour', sql<number>`SUM(n)`.as('n'), success.as('ok')])
        .groupBy(['channel', 'hour'])
        .execute()),
    );
  }
  for (const [a, b] of firstHour < lastHour ? [[start, firstHour], [lastHour, end]] : [[start, end]]) {
    const edge = await countedCells(db, a!.toISOString(), b!.toISOString());
    agents.push(...edge.agents);
    channels.push(...edge.channels);
  }
  return { agents, channels };
}

export async function loadDashboard(db: Kysely<ServerSchema>, query: DashboardQuery, timeZone: string, now: Date): Promise<Dashboard> {
  const today = dayOf(now, timeZone);
  const from = query.from ?? query.to ?? today;
  const to = query.to && query.to >= from ? query.to : from;
  const streak = query.streak ?? 3;
  const cells = await periodCells(db, dayStartUtc(from, timeZone), dayStartUtc(nextDay(to), timeZone));
  const sum = <C>(rows: C[], key: (c: C) => string, label: (c: C) => string = key) => {
    const out = new Map<string, { key: string; label: string; n: number; ok: number }>();
    for (const c of rows) {
      const { n, ok } = c as { n: number | string; ok: number | string | null };
      if (Number(n) === 0) continue;
      const k = key(c);
      const entry = out.get(k) ?? { key: k, label: label(c), n: 0, ok: 0 };
      entry.n += Number(n);
      entry.ok += Number(ok ?? 0);
      // The name the agent pushed with, the greatest if it changed (as MAX over the attempts).
      if (label(c) > entry.label) entry.label = label(c);
      out.set(k, entry);
    }
    // Every attempt of an entry voided since: it is not shown.
    return [...out.values()].filter((e) => e.n > 0);
  };
  const perAgent = sum(cells.agents, (c) => c.agent_id, (c) => c.agent_name);
  const perChannel = sum(cells.channels, (c) => c.channel);
  const perHour = Array.from({ length: 24 }, () => 0);
  for (const row of sum(cells.channels, (c) => c.hour)) {
    const at = new Date(`${row.key}:00:00.000Z`);
    const local = new Date(at.getTime() + zoneOffsetMin(at, timeZone) * 60_000);
    perHour[local.getUTCHours()]! += row.n;
  }

  // Portfolio figures read the statuses kept with each push (server/client-status.ts): no scan of attempts.
  const never = await db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).where('last_status', 'is', null).executeTakeFirstOrThrow();
  // Kept per streak by the push (client-status.ts): a sum of at most a few dozen rows.
  const failingCount = await db.selectFrom('client_streak_counts').select(sql<number>`COALESCE(SUM(clients), 0)`.as('n')).where('streak', '>=', streak).executeTakeFirstOrThrow();
  const failing = await db
    .selectFrom('clients')
    .select(['code', 'name'])
    .where('failure_streak', '>=', streak)
    .orderBy('failure_streak', 'desc')
    .orderBy('code')
    .limit(50)
    .execute();

  const tally = (rows: { key: string; label: string; n: number; ok: number }[]): Tally[] =>
    rows.map((r) => ({ key: r.key, label: r.label, attempts: r.n, successes: r.ok })).sort((a, b) => b.attempts - a.attempts || a.label.localeCompare(b.label));

  const agents = tally(perAgent);
  return {
    from,
    to,
    streak,
    attempts: agents.reduce((s, a) => s + a.attempts, 0),
    successes: agents.reduce((s, a) => s + a.successes, 0),
    perAgent: agents,
    perChannel: tally(perChannel),
    perHour,
    neverNotified: Number(never.n),
    failedStreak: failing,
    failedStreakCount: Number(failingCount.n),
  };
}

function percent(ctx: PageContext, part: number, whole: number): string {
  if (whole === 0) return '—';
  return new Intl.NumberFormat(ctx.locale === 'en' ? 'en-GB' : 'fr-FR', { style: 'percent', maximumFractionDigits: 1 }).format(part / whole);
}

function hourChart(ctx: PageContext, perHour: number[], title: string, hourLabel: (h: number) => string): SafeHtml {
  const width = 720;
  const height = 240;
  const margin = { top: 10, right: 10, bottom: 28, left: 40 };
  const x = scaleBand<number>().domain(perHour.map((_, h) => h)).range([margin.left, width - margin.right]).padding(0.15);
  const max = Math.max(1, ...perHour);
  const y = scaleLinear().domain([0, max]).nice().range([height - margin.bottom, margin.top]);
  const ticks = y.ticks(4).filter((t) => Number.isInteger(t));
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title">
      <title id="chart-title">${title}</title>
      ${ticks.map((t) => html`<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${y(t)}" y2="${y(t)}"></line><text class="axis" x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`)}
      ${perHour.map((n, h) => html`<rect class="bar" x="${x(h) ?? 0}" y="${y(n)}" width="${x.bandwidth()}" height="${y(0) - y(n)}"><title>${hourLabel(h)} : ${n}</title></rect>`)}
      ${perHour.map((_, h) => (h % 2 === 0 ? html`<text class="axis" x="${(x(h) ?? 0) + x.bandwidth() / 2}" y="${height - 10}" text-anchor="middle">${h}h</text>` : ''))}
    </svg>
    <figcaption>${title}</figcaption>
  </figure>`;
}

export function dashboardPage(ctx: PageContext, query: DashboardQuery, d: Dashboard): string {
  const en = ctx.locale === 'en';
  const t = en
    ? { period: 'Period', from: 'From', to: 'To', streak: 'Failed attempts in a row', show: 'Show', attempts: 'Attempts', successes: 'Notified', rate: 'Success rate', never: 'Clients never notified', failing: (n: number) => `Clients whose last ${n} attempts all failed`, perAgent: 'Per agent', perChannel: 'Per channel', perHour: 'Attempts per hour', hour: (h: number) => `${h}:00 to ${h + 1}:00`, none: 'None.' }
    : { period: 'Période', from: 'Du', to: 'Au', streak: 'Échecs consécutifs', show: 'Afficher', attempts: 'Tentatives', successes: 'Notifiés', rate: 'Taux de succès', never: 'Clients jamais notifiés', failing: (n: number) => `Clients dont les ${n} dernières tentatives ont échoué`, perAgent: 'Par agent', perChannel: 'Par canal', perHour: 'Tentatives par heure', hour: (h: number) => `de ${h} h à ${h + 1} h`, none: 'Aucun.' };
  const period = { from: d.from, to: d.to, voided: 'hidden' as const };
  const tallyTable = (caption: string, rows: Tally[], filterKey: 'agent' | 'channel', label: (r: Tally) => string) =>
    html`<table><caption>${caption}</caption>
      <thead><tr><th scope="col">${caption}</th><th scope="col" class="num">${t.attempts}</th><th scope="col" class="num">${t.successes}</th><th scope="col" class="num">${t.rate}</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr><td>${label(r)}</td><td class="num"><a href="/console/journal${filterQuery({ ...period, [filterKey]: r.key })}">${r.attempts}</a></td>
          <td class="num"><a href="/console/journal${filterQuery({ ...period, [filterKey]: r.key, status: 'success' })}">${r.successes}</a></td><td class="num">${percent(ctx, r.successes, r.attempts)}</td></tr>`,
      )}</tbody></table>`;
  const body = html`<form method="get" action="/console/dashboard" class="card" aria-label="${t.period}">
      <div class="filters">
        <div class="field"><label for="d-from">${t.from}</label><input id="d-from" name="from" type="date" value="${query.from ?? d.from}"></div>
        <div class="field"><label for="d-to">${t.to}</label><input id="d-to" name="to" type="date" value="${query.to ?? d.to}"></div>
        <div class="field"><label for="d-streak">${t.streak}</label><input id="d-streak" name="streak" type="number" min="1" max="20" value="${d.streak}"></div>
        <button type="submit">${t.show}</button>
      </div>
    </form>
    <ul class="figures">
      <li><a href="/console/journal${filterQuery(period)}"><span class="value">${d.attempts}</span>${t.attempts}</a></li>
      <li><a href="/console/journal${filterQuery({ ...period, status: 'success' })}"><span class="value">${d.successes}</span>${t.successes}</a></li>
      <li><span class="value">${percent(ctx, d.successes, d.attempts)}</span>${t.rate}</li>
      <li><span class="value">${d.neverNotified}</span>${t.never}</li>
      <li><span class="value">${d.failedStreakCount}</span>${t.failing(d.streak)}</li>
    </ul>
    <h2>${t.perHour}</h2>
    ${hourChart(ctx, d.perHour, `${t.perHour} (${d.from === d.to ? d.from : `${d.from} → ${d.to}`})`, t.hour)}
    <h2>${t.perAgent}</h2>
    ${d.perAgent.length ? tallyTable(t.perAgent, d.perAgent, 'agent', (r) => r.label) : html`<p>${t.none}</p>`}
    <h2>${t.perChannel}</h2>
    ${d.perChannel.length ? tallyTable(t.perChannel, d.perChannel, 'channel', (r) => ctx.words.channels[r.label] ?? r.label) : html`<p>${t.none}</p>`}
    <h2>${t.failing(d.streak)}</h2>
    ${d.failedStreak.length
      ? html`<ul>${d.failedStreak.map((c) => html`<li><a href="/console/clients/${encodeURIComponent(c.code)}">${c.name}</a> <span class="muted">${c.code}</span></li>`)}</ul>`
      : html`<p>${t.none}</p>`}`;
  return page(ctx, ctx.words.nav.dashboard, body, 'dashboard');
}

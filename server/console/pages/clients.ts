// Clients: a search (name, code or phone fragment, accents ignored) and a client's file: its
// record, its synthetic status (kept with each push by the desk's code, server/client-status.ts) and
// its complete history across agents and devices.

import { sql, type Kysely } from 'kysely';
import type { ServerSchema } from '../../storage/schema.ts';
import { html } from '../html.ts';
import { attemptColumns, type JournalRow } from '../journal.ts';
import { page, type PageContext } from '../layout.ts';
import { containsPattern, searchFragment } from '../search-text.ts';
import { attemptTime } from '../time.ts';
import { attemptTable, statusBadge } from './journal.ts';

export interface ClientRow {
  code: string;
  name: string;
  phones: string;
  email: string | null;
  city: string | null;
  address: string | null;
  last_status: 'success' | 'failure' | null;
  last_attempt_at: string | null;
  last_attempt_id: string | null;
  last_agent_name: string | null;
  attempt_count: number;
}

const clientColumns = ['code', 'name', 'phones', 'email', 'city', 'address', 'last_status', 'last_attempt_at', 'last_attempt_id', 'last_agent_name', 'attempt_count'] as const;

export async function findClients(db: Kysely<ServerSchema>, typed: string): Promise<ClientRow[]> {
  const fragment = searchFragment(typed);
  if (!fragment) return [];
  return db
    .selectFrom('clients')
    .select(clientColumns)
    .where(sql<boolean>`search_text LIKE ${containsPattern(fragment)} ESCAPE '\\'`)
    .orderBy('name')
    .orderBy('code')
    .limit(50)
    .execute();
}

export async function clientHistory(db: Kysely<ServerSchema>, code: string): Promise<{ client: ClientRow; history: JournalRow[] } | null> {
  const client = await db.selectFrom('clients').select(clientColumns).where('code', '=', code).executeTakeFirst();
  if (!client) return null;
  const history = (await db
    .selectFrom('attempts')
    .leftJoin('voids', 'voids.attempt_id', 'attempts.id')
    .leftJoin('attempt_reasons', 'attempt_reasons.attempt_id', 'attempts.id')
    .select(attemptColumns)
    .where('attempts.client_code', '=', code)
    .orderBy('attempts.occurred_at', 'desc')
    .orderBy('attempts.id', 'desc')
    .execute()) as Omit<JournalRow, 'client_name'>[];
  return { client, history: history.map((h) => ({ ...h, client_name: client.name, utc_offset_min: Number(h.utc_offset_min) })) };
}

export function clientSearchPage(ctx: PageContext, typed: string, found: ClientRow[] | null): string {
  const w = ctx.words.client;
  const body = html`<form method="get" action="/console/clients" class="card" role="search" aria-label="${w.search}">
      <div class="filters"><div class="field"><label for="c-q">${w.searchLabel}</label><input id="c-q" name="q" type="search" value="${typed}" autocomplete="off"></div>
      <button type="submit">${w.submit}</button></div>
    </form>
    ${found === null
      ? ''
      : found.length === 0
        ? html`<p role="status">${w.none}</p>`
        : html`<table><caption>${w.search}</caption><thead><tr><th scope="col">${w.name}</th><th scope="col">${w.code}</th><th scope="col">${w.phones}</th><th scope="col">${w.city}</th><th scope="col">${w.status}</th></tr></thead><tbody>
          ${found.map((c) => html`<tr><td><a href="/console/clients/${encodeURIComponent(c.code)}">${c.name}</a></td><td>${c.code}</td><td>${(JSON.parse(c.phones) as string[]).join(', ')}</td><td>${c.city ?? ''}</td><td>${statusBadge(ctx, c.last_status ?? 'never')}</td></tr>`)}
        </tbody></table>`}`;
  return page(ctx, ctx.words.nav.clients, body, 'clients');
}

export function clientFilePage(ctx: PageContext, client: ClientRow, history: JournalRow[]): string {
  const w = ctx.words.client;
  // The status kept with each push; the history shown below is what it was computed from.
  const latest = history.find((h) => h.id === client.last_attempt_id) ?? null;
  const body = html`<section class="card" aria-labelledby="client-record">
      <h2 id="client-record">${client.name}</h2>
      <dl class="record">
        <dt>${w.code}</dt><dd>${client.code}</dd>
        <dt>${w.status}</dt><dd>${statusBadge(ctx, client.last_status ?? 'never')} <span class="muted">${w.attempts(Number(client.attempt_count))}</span></dd>
        <dt>${w.lastAttempt}</dt><dd>${latest ? `${attemptTime(latest.occurred_at, latest.utc_offset_min, ctx.locale)} — ${latest.agent_name}` : '—'}</dd>
        <dt>${w.phones}</dt><dd>${(JSON.parse(client.phones) as string[]).join(', ') || '—'}</dd>
        <dt>${w.email}</dt><dd>${client.email ?? '—'}</dd>
        <dt>${w.city}</dt><dd>${client.city ?? '—'}</dd>
        <dt>${w.address}</dt><dd>${client.address ?? '—'}</dd>
      </dl>
    </section>
    <p><a href="/console/journal?client=${encodeURIComponent(client.code)}">${ctx.words.nav.journal} — ${client.code}</a></p>
    ${attemptTable(ctx, history, w.history, false)}`;
  return page(ctx, `${ctx.words.nav.clients} — ${client.name}`, body, 'clients');
}

// Agents page (admin, supervisor): create and disable agents, issue enrolment codes, revoke tokens;
// for admins also the console's users and its audit log.

import type { Kysely } from 'kysely';
import { consoleRoles, type AgentSecretKind } from '../../../contract/enums.ts';
import { limits } from '../../../contract/limits.ts';
import type { ServerSchema } from '../../storage/schema.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField, message, page, type PageContext } from '../layout.ts';
import { serverTime } from '../time.ts';

export interface AgentsData {
  agents: { id: string; name: string; login: string | null; disabled_at: string | null; tokens: { id: string; prefix: string; last_used_at: string | null }[] }[];
  users: { id: string; login: string; role: string; disabled_at: string | null }[] | null;
  audit: { at: string; user_login: string; action: string; target: string; details: string }[] | null;
}

export async function loadAgentsData(db: Kysely<ServerSchema>, withAdminParts: boolean): Promise<AgentsData> {
  const agents = await db.selectFrom('agents').select(['id', 'name', 'login', 'disabled_at']).orderBy('name').orderBy('id').execute();
  const tokens = await db.selectFrom('tokens').select(['id', 'prefix', 'agent_id', 'last_used_at']).where('revoked_at', 'is', null).orderBy('created_at').execute();
  return {
    agents: agents.map((a) => ({ ...a, tokens: tokens.filter((t) => t.agent_id === a.id) })),
    users: withAdminParts ? await db.selectFrom('console_users').select(['id', 'login', 'role', 'disabled_at']).orderBy('login').execute() : null,
    audit: withAdminParts ? await db.selectFrom('console_audit').select(['at', 'user_login', 'action', 'target', 'details']).orderBy('at', 'desc').orderBy('id', 'desc').limit(100).execute() : null,
  };
}

export interface AgentsNotice {
  ok?: string;
  error?: string;
  code?: { agentName: string; code: string; expiresAt: string };
}

function postButton(ctx: PageContext, action: string, label: string, kind: 'secondary' | 'danger' = 'secondary'): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}<button type="submit" class="${kind}">${label}</button></form>`;
}

/** The secret field as the site's kind wants it: digits for a PIN, any characters for a password. */
function secretInput(id: string, label: string, kind: AgentSecretKind, required: boolean): SafeHtml {
  return kind === 'pin'
    ? html`<div class="field"><label for="${id}">${label}</label><input id="${id}" name="secret" type="password" inputmode="numeric" pattern="[0-9]{${String(limits.agentPinMin)},${String(limits.agentPinMax)}}" maxlength="${String(limits.agentPinMax)}" autocomplete="new-password"${required ? html` required` : ''}></div>`
    : html`<div class="field"><label for="${id}">${label}</label><input id="${id}" name="secret" type="password" minlength="${String(limits.agentPasswordMin)}" maxlength="${String(limits.agentPasswordMax * 2)}" autocomplete="new-password"${required ? html` required` : ''}></div>`;
}

function setSecretForm(ctx: PageContext, a: AgentsData['agents'][number], kind: AgentSecretKind): SafeHtml {
  const w = ctx.words.agents;
  const id = `s-${a.id}`;
  return html`<details><summary>${w.setSecret}</summary>
    <form method="post" action="/console/agents/${encodeURIComponent(a.id)}/secret" aria-label="${w.setSecretFor(a.name)}">${csrfField(ctx)}
      ${a.login ? '' : html`<div class="field"><label for="${id}-login">${w.agentLogin}</label><input id="${id}-login" name="login" required maxlength="${String(limits.login)}" autocomplete="off"></div>`}
      ${secretInput(`${id}-secret`, w.newSecret(kind), kind, true)}
      <button type="submit" class="secondary">${w.setSecretFor(a.name)}</button>
    </form></details>`;
}

export function agentsPage(ctx: PageContext, data: AgentsData, notice: AgentsNotice = {}, secretKind: AgentSecretKind = 'pin'): string {
  const w = ctx.words.agents;
  const body = html`${message('error', notice.error)}${message('ok', notice.ok)}
    ${notice.code
      ? html`<p class="message ok" role="status">${w.codeIssued(notice.code.agentName)} <strong class="code">${notice.code.code}</strong><br>${w.codeValidUntil(serverTime(notice.code.expiresAt, ctx.timeZone, ctx.locale))}</p>`
      : ''}
    <form method="post" action="/console/agents" class="card">
      ${csrfField(ctx)}
      <div class="filters"><div class="field"><label for="a-name">${w.name}</label><input id="a-name" name="name" required maxlength="80" autocomplete="off"></div>
      <div class="field"><label for="a-login">${w.agentLogin}</label><input id="a-login" name="login" maxlength="${String(limits.login)}" autocomplete="off"></div>
      ${secretInput('a-secret', w.initialSecret(secretKind), secretKind, false)}
      <button type="submit">${w.create}</button></div>
    </form>
    <table><caption>${w.list}</caption>
      <thead><tr><th scope="col">${w.colName}</th><th scope="col">${w.colLogin}</th><th scope="col">${w.colState}</th><th scope="col">${w.colTokens}</th><th scope="col">${w.colActions}</th></tr></thead>
      <tbody>${data.agents.map(
        (a) => html`<tr>
          <td><a href="/console/agents/${encodeURIComponent(a.id)}" aria-label="${w.events(a.name)}">${a.name}</a><br><span class="muted">${a.id}</span></td>
          <td>${a.login ?? html`<span class="muted">${w.noLogin}</span>`}</td>
          <td>${a.disabled_at ? w.disabled(serverTime(a.disabled_at, ctx.timeZone, ctx.locale)) : w.active}</td>
          <td>${a.tokens.map((t) => html`<div>${t.prefix}… ${t.last_used_at ? html`<span class="muted">${serverTime(t.last_used_at, ctx.timeZone, ctx.locale)}</span>` : ''} ${postButton(ctx, `/console/tokens/${encodeURIComponent(t.id)}/revoke`, w.revoke(t.prefix), 'danger')}</div>`)}</td>
          <td>${a.disabled_at
            ? html`<div class="actions">${postButton(ctx, `/console/agents/${encodeURIComponent(a.id)}/enable`, w.enable(a.name))}</div>`
            : html`<div class="actions">${postButton(ctx, `/console/agents/${encodeURIComponent(a.id)}/enrolment-code`, w.issueCode(a.name))} ${postButton(ctx, `/console/agents/${encodeURIComponent(a.id)}/disable`, w.disable(a.name), 'danger')}</div>${setSecretForm(ctx, a, secretKind)}`}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${data.users ? usersSection(ctx, data.users) : ''}
    ${data.audit ? auditSection(ctx, data.audit) : ''}`;
  return page(ctx, w.heading, body, 'agents');
}

function usersSection(ctx: PageContext, users: NonNullable<AgentsData['users']>): SafeHtml {
  const w = ctx.words.agents;
  return html`<h2 id="users">${w.users}</h2>
    <form method="post" action="/console/users" class="card" aria-labelledby="users">
      ${csrfField(ctx)}
      <div class="filters">
        <div class="field"><label for="u-login">${w.login}</label><input id="u-login" name="login" required maxlength="64" autocomplete="off"></div>
        <div class="field"><label for="u-password">${w.password}</label><input id="u-password" name="password" type="password" required minlength="10" autocomplete="new-password"></div>
        <div class="field"><label for="u-role">${w.role}</label><select id="u-role" name="role">${consoleRoles.map((r) => html`<option value="${r}"${r === 'auditor' ? html` selected` : ''}>${ctx.words.roles[r]}</option>`)}</select></div>
        <button type="submit">${w.createUser}</button>
      </div>
    </form>
    <table><caption>${w.users}</caption><thead><tr><th scope="col">${w.login}</th><th scope="col">${w.role}</th><th scope="col">${w.colState}</th><th scope="col">${w.colActions}</th></tr></thead>
    <tbody>${users.map(
      (u) => html`<tr><td>${u.login}</td><td>${ctx.words.roles[u.role as keyof typeof ctx.words.roles] ?? u.role}</td>
        <td>${u.disabled_at ? w.disabled(serverTime(u.disabled_at, ctx.timeZone, ctx.locale)) : w.active}</td>
        <td>${u.disabled_at || u.id === ctx.session?.userId ? '' : postButton(ctx, `/console/users/${encodeURIComponent(u.id)}/disable`, w.disableUser(u.login), 'danger')}</td></tr>`,
    )}</tbody></table>`;
}

function auditSection(ctx: PageContext, audit: NonNullable<AgentsData['audit']>): SafeHtml {
  const w = ctx.words.agents;
  const c = w.auditColumns;
  return html`<h2>${w.audit}</h2>
    <table><caption>${w.audit}</caption><thead><tr><th scope="col">${c.at}</th><th scope="col">${c.who}</th><th scope="col">${c.action}</th><th scope="col">${c.target}</th><th scope="col">${c.details}</th></tr></thead>
    <tbody>${audit.map((e) => html`<tr><td>${serverTime(e.at, ctx.timeZone, ctx.locale)}</td><td>${e.user_login}</td><td>${e.action}</td><td>${e.target}</td><td>${e.details}</td></tr>`)}</tbody></table>`;
}

// The page shell every console page shares: language, header with who is signed in, the main
// navigation (by role), the sign-out form, and a skip link for keyboard users.

import type { ConsoleRole } from '../../contract/enums.ts';
import type { Locale } from '../../contract/errors.ts';
import { html, type SafeHtml } from './html.ts';
import type { ConsoleSession } from './sessions.ts';
import { wordsFor, type ConsoleWords } from './words.ts';

export type Section = 'journal' | 'clients' | 'dashboard' | 'devices' | 'agents';

export interface PageContext {
  locale: Locale;
  words: ConsoleWords;
  session: ConsoleSession | null;
  timeZone: string;
  /** Path and query of this page, to switch language in place. */
  here: string;
}

export function pageContext(locale: Locale, session: ConsoleSession | null, timeZone: string, here: string): PageContext {
  return { locale, words: wordsFor(locale), session, timeZone, here };
}

/** Who may open which section: an auditor reads and exports, and never sees the Agents page. */
export function mayOpen(role: ConsoleRole, section: Section): boolean {
  return section !== 'agents' || role === 'admin' || role === 'supervisor';
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.session?.csrf ?? ''}">`;
}

function languageLink(ctx: PageContext): SafeHtml {
  const url = new URL(ctx.here, 'http://console.invalid');
  url.searchParams.set('lang', ctx.words.otherLanguage.code);
  url.searchParams.delete('after');
  return html`<a class="lang" href="${url.pathname + url.search}" lang="${ctx.words.otherLanguage.code}" hreflang="${ctx.words.otherLanguage.code}">${ctx.words.otherLanguage.label}</a>`;
}

export function page(ctx: PageContext, title: string, body: SafeHtml, section: Section | null = null): string {
  const w = ctx.words;
  const nav = ctx.session
    ? html`<nav aria-label="${w.nav.label}"><ul>
        ${(['journal', 'clients', 'dashboard', 'devices', 'agents'] as const)
          .filter((s) => mayOpen(ctx.session!.role, s))
          .map((s) => html`<li><a href="/console/${s}"${s === section ? html` aria-current="page"` : ''}>${w.nav[s]}</a></li>`)}
      </ul></nav>`
    : '';
  const who = ctx.session
    ? html`<span class="who">${w.signedInAs(ctx.session.login, w.roles[ctx.session.role])}</span>
        <form method="post" action="/console/sign-out" class="inline">${csrfField(ctx)}<button type="submit" class="secondary">${w.signOut}</button></form>`
    : '';
  return html`<!doctype html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — ${w.title}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">${ctx.locale === 'en' ? 'Skip to content' : 'Aller au contenu'}</a>
<header class="top">
  <span class="brand">Notification Desk — ${w.title}</span>
  ${nav}
  <div class="account">${who} ${languageLink(ctx)}</div>
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}

export function message(kind: 'ok' | 'error', textContent: string | null | undefined): SafeHtml {
  if (!textContent) return html``;
  return kind === 'error' ? html`<p class="message error" role="alert">${textContent}</p>` : html`<p class="message ok" role="status">${textContent}</p>`;
}

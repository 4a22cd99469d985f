// The supervision console under /console: server-rendered pages, one small same-origin script (the
// live journal's polling, assets/journal-live.js; the CSP allows scripts from 'self' only, nothing
// inline, and fetches to 'self' only), cookie sessions, a synchronizer CSRF token on every changing form plus an
// Origin/Sec-Fetch-Site check, sign-in throttling, and role checks on every route.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsoleRole } from '../../contract/enums.ts';
import type { Locale } from '../../contract/errors.ts';
import { AdminError } from '../admin.ts';
import type { ServerDatabase } from '../storage/database.ts';
import { createAgentFromConsole, disableAgent, enableAgent, issueDeviceEnrolmentCode, issueEnrolmentCode, revokeTokenById, setAgentSecret } from './agents.ts';
import { agentEventsTable, loadAgentEvents } from './pages/agent-events.ts';
import type { AgentSecretKind } from '../../contract/enums.ts';
import type { Actor } from './audit.ts';
import { journalCsv, journalXlsx, exportFileName } from './export.ts';
import { html } from './html.ts';
import { defaultReasons, type ReasonDefinition } from '../../contract/reasons.ts';
import { journalPage, journalQuerySchema, newsCap, newsMark, newsQuerySchema } from './journal.ts';
import { mayOpen, message, page, pageContext, type PageContext, type Section } from './layout.ts';
import { agentsPage, loadAgentsData, type AgentsNotice } from './pages/agents.ts';
import { clientFilePage, clientHistory, clientSearchPage, findClients } from './pages/clients.ts';
import { dashboardPage, dashboardQuerySchema, loadDashboard } from './pages/dashboard.ts';
import { deviceEventsPage, devicesPage, loadDevices, loadEnrolledDesks, type DevicesNotice } from './pages/devices.ts';
import { filterQuery, journalPageHtml } from './pages/journal.ts';
import { verifyAgainstDecoy, verifyPassword } from './passwords.ts';
import { closeSession, csrfMatches, findSession, openSession, sessionCookie, sessionLimits, type ConsoleSession } from './sessions.ts';
import { blockedUntil, clearFailures, recordFailure, throttleKeys, throttleRules } from './throttle.ts';
import { defaultConsoleTimeZone, serverTime } from './time.ts';
import { createConsoleUser, disableConsoleUser, loginSchema, normaliseLogin } from './users.ts';

export interface ConsoleOptions {
  sdb: ServerDatabase;
  clock: { now(): Date };
  /** Calendar days and server times are shown in this zone. */
  timeZone?: string;
  /**
   * Secure cookies always (--console-secure-cookies). Otherwise they are Secure when the request
   * came over HTTPS: this server's own TLS, or X-Forwarded-Proto https from a proxy that
   * --trust-proxy believes (Fastify's request.protocol). Set it behind a TLS proxy that is not
   * trusted, where requests reach us as plain HTTP.
   */
  secureCookies?: boolean;
  /** How often the open journal asks for new attempts (ms). Default 10 s; tests shorten it. */
  livePollMs?: number;
  /** The site's reason list (the same the desks get); default: the defaults of contract/reasons.ts. */
  reasons?: ReasonDefinition[];
  /** What agents sign in with (server setting --agent-secret): the Agents page asks for that kind. */
  secretKind?: AgentSecretKind;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: ConsoleSession | null;
    consoleLocale: Locale;
  }
}

export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const langCookie = 'desk_console_lang';
const stylesheet = readFileSync(join(import.meta.dirname, 'assets', 'console.css'));
const favicon = readFileSync(join(import.meta.dirname, 'assets', 'favicon.svg'));
const liveScript = readFileSync(join(import.meta.dirname, 'assets', 'journal-live.js'));
/** The journal's polling path: what the page asks by itself does not keep its session alive. */
const newsPath = '/console/journal/news';

class Refusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function cookieOptions(request: FastifyRequest, maxAgeMs: number, forceSecure: boolean | undefined) {
  return { path: '/console', httpOnly: true, sameSite: 'strict' as const, secure: forceSecure === true || request.protocol === 'https', maxAge: Math.floor(maxAgeMs / 1000) };
}

/**
 * A form posted from another site. Sec-Fetch-Site, which pages cannot set, decides when the browser
 * sends it; otherwise Origin's host must be ours. Hosts only: behind a TLS proxy without
 * trust-proxy the request arrives as http while the page's origin is https.
 */
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host !== request.host;
  } catch {
    return true;
  }
}

const formField = z.string().max(1000);
const signInSchema = z.object({ login: formField, password: formField, next: formField.optional() });

export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { sdb, clock } = options;
  const db = sdb.db;
  const timeZone = options.timeZone ?? defaultConsoleTimeZone;
  const secretKind: AgentSecretKind = options.secretKind ?? 'pin';

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  app.decorateRequest('consoleSession', null);
  app.decorateRequest('consoleLocale', 'fr');

  const ctxOf = (request: FastifyRequest): PageContext => pageContext(request.consoleLocale, request.consoleSession, timeZone, request.url);

  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);

  const refusalPage = (request: FastifyRequest, reply: FastifyReply, status: number, text: string) => {
    const ctx = ctxOf(request);
    return send(reply, status, page(ctx, text, html`${message('error', text)}<p><a href="/console/journal">${ctx.words.nav.journal}</a></p>`));
  };

  app.setErrorHandler((error, request, reply) => {
    const words = ctxOf(request).words;
    if (error instanceof Refusal) return refusalPage(request, reply, error.status, error.message);
    if (error instanceof z.ZodError) return refusalPage(request, reply, 400, `${words.errors.invalid} : ${error.issues.map((i) => i.path.join('.') || '-').join(', ')}`);
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return refusalPage(request, reply, status, words.errors.invalid);
    request.log.error({ err: error }, 'console request failed');
    return refusalPage(request, reply, 500, words.errors.server);
  });
  app.setNotFoundHandler((request, reply) => refusalPage(request, reply, 404, ctxOf(request).words.errors.notFound));

  app.addHook('onRequest', async (request, reply) => {
    void reply.headers({
      'content-security-policy': consoleContentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    });
    const asked = (request.query as Record<string, unknown> | undefined)?.lang;
    if (asked === 'fr' || asked === 'en') {
      request.consoleLocale = asked;
      void reply.setCookie(langCookie, asked, cookieOptions(request, 365 * 24 * 3600_000, options.secureCookies));
    } else {
      request.consoleLocale = request.cookies[langCookie] === 'en' ? 'en' : 'fr';
    }
    request.consoleSession = await findSession(db, request.cookies[sessionCookie], clock.now(), { touch: request.url.split('?')[0] !== newsPath });
  });

  // Every changing request: same site, then (past sign-in) the session's CSRF token.
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST') return;
    const words = ctxOf(request).words;
    if (crossSite(request)) throw new Refusal(403, words.errors.csrf);
    if (request.routeOptions.url === '/console/sign-in') return;
    if (!request.consoleSession) throw new Refusal(401, words.errors.forbidden);
    if (!csrfMatches(request.consoleSession, (request.body as Record<string, unknown> | undefined)?._csrf)) throw new Refusal(403, words.errors.csrf);
  });

  /** The signed-in session, or a redirect to sign-in (GET) / a refusal (anything else). */
  const signedIn = (request: FastifyRequest, reply: FastifyReply, section: Section | null, roles: readonly ConsoleRole[] | null = null): ConsoleSession | null => {
    const session = request.consoleSession;
    if (!session) {
      void reply.redirect(`/console/sign-in?next=${encodeURIComponent(request.url)}`, 303);
      return null;
    }
    if ((section && !mayOpen(session.role, section)) || (roles && !roles.includes(session.role))) {
      throw new Refusal(403, ctxOf(request).words.errors.forbidden);
    }
    return session;
  };
  const actor = (session: ConsoleSession): Actor => ({ userId: session.userId, login: session.login });

  app.get('/assets/console.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet));

  app.get('/assets/journal-live.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(liveScript));

  app.get('/assets/favicon.svg', async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(favicon));

  app.get('/', async (_request, reply) => reply.redirect('/console/journal', 303));

  // --- sign-in, sign-out ---------------------------------------------------------------------

  const safeNext = (next: unknown) => (typeof next === 'string' && /^\/console\/[^/\\]/.test(next) && !next.startsWith('/console/sign-') ? next : '/console/journal');

  const signInPage = (request: FastifyRequest, error: string | null, login = '', next = '') => {
    const ctx = ctxOf(request);
    const w = ctx.words.signIn;
    return page(
      ctx,
      w.heading,
      html`${message('error', error)}
      <form method="post" action="/console/sign-in" class="card signin">
        <input type="hidden" name="next" value="${next}">
        <div class="field"><label for="login">${w.login}</label><input id="login" name="login" value="${login}" required autocomplete="username" autofocus></div>
        <div class="field"><label for="password">${w.password}</label><input id="password" name="password" type="password" required autocomplete="current-password"></div>
        <button type="submit">${w.submit}</button>
      </form>`,
    );
  };

  app.get('/sign-in', async (request, reply) => {
    if (request.consoleSession) return reply.redirect('/console/journal', 303);
    const next = (request.query as Record<string, unknown>).next;
    return send(reply, 200, signInPage(request, null, '', typeof next === 'string' ? next.slice(0, 500) : ''));
  });

  app.post('/sign-in', async (request, reply) => {
    const parsed = signInSchema.safeParse(request.body);
    const words = ctxOf(request).words;
    if (!parsed.success) return send(reply, 400, signInPage(request, words.errors.badCredentials));
    const { password, next } = parsed.data;
    const login = normaliseLogin(parsed.data.login);
    const now = clock.now();
    const keys = throttleKeys(login, request.ip);
    const blocked = await blockedUntil(db, [keys.login, keys.address], now);
    if (blocked) {
      return send(reply, 429, signInPage(request, words.errors.throttled(serverTime(blocked.toISOString(), timeZone, request.consoleLocale)), parsed.data.login, next));
    }
    const user = loginSchema.safeParse(login).success
      ? await db.selectFrom('console_users').select(['id', 'password_hash', 'disabled_at']).where('login', '=', login).executeTakeFirst()
      : undefined;
    const good = user && user.disabled_at === null ? await verifyPassword(password, user.password_hash) : await verifyAgainstDecoy(password);
    if (!good || !user) {
      await recordFailure(db, keys.login, throttleRules.perLogin, now);
      await recordFailure(db, keys.address, throttleRules.perAddress, now);
      request.log.info({ login, address: request.ip }, 'console sign-in refused');
      return send(reply, 401, signInPage(request, words.errors.badCredentials, parsed.data.login, next));
    }
    await clearFailures(db, keys.login);
    const value = await openSession(db, user.id, now);
    request.log.info({ login }, 'console sign-in');
    return reply.setCookie(sessionCookie, value, cookieOptions(request, sessionLimits.absoluteMs, options.secureCookies)).redirect(safeNext(next), 303);
  });

  app.post('/sign-out', async (request, reply) => {
    if (request.consoleSession) await closeSession(db, request.consoleSession.idHash);
    return reply.clearCookie(sessionCookie, { path: '/console' }).redirect('/console/sign-in', 303);
  });

  // --- journal -------------------------------------------------------------------------------

  const journalChoices = async () => ({
    agents: await db.selectFrom('agents').select(['id', 'name']).orderBy('name').orderBy('id').execute(),
    devices: (await db.selectFrom('device_agents').select('device_id').distinct().orderBy('device_id').execute()).map((d) => d.device_id),
    reasons: options.reasons ?? [...defaultReasons],
  });

  app.get('/journal', async (request, reply) => {
    if (!signedIn(request, reply, 'journal')) return reply;
    const filter = journalQuerySchema.parse(request.query);
    const mark = await newsMark(db, clock.now());
    const { rows, next } = await journalPage(db, filter, { timeZone });
    return send(reply, 200, journalPageHtml(ctxOf(request), filter, await journalChoices(), rows, next, { ...mark, pollMs: options.livePollMs ?? 10_000 }));
  });

  // The live journal's question: how many attempts matching these filters arrived after the page's
  // mark. JSON for assets/journal-live.js; the words in the page's language, the link to the newest.
  app.get('/journal/news', async (request, reply) => {
    if (!request.consoleSession) return reply.code(401).send({ error: 'signed-out' });
    signedIn(request, reply, 'journal');
    const filter = journalQuerySchema.parse(request.query);
    const { since, at } = newsQuerySchema.parse(request.query);
    const { rows, next } = await journalPage(db, { ...filter, after: undefined }, { timeZone, limit: newsCap, after: null, newer: { seq: since, at } });
    const words = ctxOf(request).words.journal;
    return reply.send({ count: rows.length, capped: next !== null, text: words.news(rows.length, next !== null), href: `/console/journal${filterQuery(filter)}` });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/journal.${format}`, async (request, reply) => {
      if (!signedIn(request, reply, 'journal')) return reply;
      const filter = journalQuerySchema.parse(request.query);
      const name = exportFileName(format, clock.now(), timeZone);
      void reply
        .header('content-disposition', `attachment; filename="${name}"`)
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const how = { locale: request.consoleLocale, timeZone, reasons: options.reasons ?? defaultReasons };
      return reply.send(format === 'csv' ? journalCsv(db, filter, how) : journalXlsx(db, filter, how));
    });
  }

  // --- clients -------------------------------------------------------------------------------

  app.get('/clients', async (request, reply) => {
    if (!signedIn(request, reply, 'clients')) return reply;
    const { q } = z.object({ q: z.string().max(100).optional() }).parse(request.query);
    const typed = q?.trim() ?? '';
    return send(reply, 200, clientSearchPage(ctxOf(request), typed, typed ? await findClients(db, typed) : null));
  });

  app.get('/clients/:code', async (request, reply) => {
    if (!signedIn(request, reply, 'clients')) return reply;
    const { code } = z.object({ code: z.string().min(1).max(64) }).parse(request.params);
    const found = await clientHistory(db, code);
    if (!found) throw new Refusal(404, ctxOf(request).words.client.notFound);
    return send(reply, 200, clientFilePage(ctxOf(request), found.client, found.history));
  });

  // --- dashboard, devices --------------------------------------------------------------------

  app.get('/dashboard', async (request, reply) => {
    if (!signedIn(request, reply, 'dashboard')) return reply;
    const query = dashboardQuerySchema.parse(request.query);
    return send(reply, 200, dashboardPage(ctxOf(request), query, await loadDashboard(db, query, timeZone, clock.now())));
  });

  const renderDevices = async (request: FastifyRequest, reply: FastifyReply, status: number, notice: DevicesNotice = {}) => {
    const session = request.consoleSession!;
    const mayEnrol = session.role === 'admin' || session.role === 'supervisor';
    return send(reply, status, devicesPage(ctxOf(request), await loadDevices(db), await loadEnrolledDesks(db), mayEnrol, notice));
  };

  app.get('/devices', async (request, reply) => {
    if (!signedIn(request, reply, 'devices')) return reply;
    return renderDevices(request, reply, 200);
  });

  // "Inscrire un poste": a device code (admin, supervisor), shown once.
  app.post('/devices/enrolment-code', async (request, reply) => {
    const session = signedIn(request, reply, 'devices', ['admin', 'supervisor'])!;
    return renderDevices(request, reply, 200, { code: await issueDeviceEnrolmentCode(sdb, actor(session), clock.now()) });
  });

  app.get('/devices/:id', async (request, reply) => {
    if (!signedIn(request, reply, 'devices')) return reply;
    const { id } = z.object({ id: z.string().min(1).max(64) }).parse(request.params);
    return send(reply, 200, deviceEventsPage(ctxOf(request), id, await loadAgentEvents(db, { deviceId: id })));
  });

  // --- agents (admin, supervisor), users (admin) ----------------------------------------------

  const manage = ['admin', 'supervisor'] as const;

  const renderAgents = async (request: FastifyRequest, reply: FastifyReply, status: number, notice: AgentsNotice = {}) => {
    const session = request.consoleSession!;
    return send(reply, status, agentsPage(ctxOf(request), await loadAgentsData(db, session.role === 'admin'), notice, secretKind));
  };

  /** Runs a change; an AdminError becomes the page's message in the user's language. */
  const change = async (request: FastifyRequest, reply: FastifyReply, work: () => Promise<AgentsNotice>) => {
    try {
      return await renderAgents(request, reply, 200, await work());
    } catch (error) {
      if (error instanceof AdminError) return renderAgents(request, reply, 400, { error: request.consoleLocale === 'en' ? error.en : error.message });
      throw error;
    }
  };

  const idParams = z.object({ id: z.string().min(1).max(64) });
  const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;

  app.get('/agents', async (request, reply) => {
    if (!signedIn(request, reply, 'agents', manage)) return reply;
    return renderAgents(request, reply, 200);
  });

  const field = (request: FastifyRequest, name: string) => {
    const value = body(request)[name];
    return typeof value === 'string' ? value : '';
  };

  app.post('/agents', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', manage)!;
    const agent = { name: field(request, 'name'), login: field(request, 'login'), secret: field(request, 'secret') };
    return change(request, reply, async () => ({ ok: ctxOf(request).words.agents.created((await createAgentFromConsole(sdb, agent, actor(session), secretKind)).name) }));
  });

  app.post('/agents/:id/secret', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', manage)!;
    const { id } = idParams.parse(request.params);
    return change(request, reply, async () => {
      const done = await setAgentSecret(sdb, { agentId: id }, field(request, 'secret'), secretKind, actor(session), field(request, 'login'));
      return { ok: ctxOf(request).words.agents.secretSet(done.name) };
    });
  });

  app.post('/agents/:id/enable', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', manage)!;
    const { id } = idParams.parse(request.params);
    return change(request, reply, async () => ({ ok: ctxOf(request).words.agents.enabledDone((await enableAgent(sdb, id, actor(session))).name) }));
  });

  app.get('/agents/:id', async (request, reply) => {
    if (!signedIn(request, reply, 'agents', manage)) return reply;
    const { id } = idParams.parse(request.params);
    const agent = await db.selectFrom('agents').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    if (!agent) throw new Refusal(404, ctxOf(request).words.errors.notFound);
    const ctx = ctxOf(request);
    return send(reply, 200, page(ctx, ctx.words.agents.events(agent.name), agentEventsTable(ctx, agent.name, await loadAgentEvents(db, { agentId: id }), 'device'), 'agents'));
  });

  app.post('/agents/:id/disable', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', manage)!;
    const { id } = idParams.parse(request.params);
    return change(request, reply, async () => ({ ok: ctxOf(request).words.agents.disabledDone((await disableAgent(sdb, id, actor(session))).name) }));
  });

  app.post('/agents/:id/enrolment-code', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', manage)!;
    const { id } = idParams.parse(request.params);
    return change(request, reply, async () => ({ code: await issueEnrolmentCode(sdb, id, actor(session), clock.now()) }));
  });

  app.post('/tokens/:id/revoke', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', manage)!;
    const { id } = idParams.parse(request.params);
    return change(request, reply, async () => {
      await revokeTokenById(sdb, id, actor(session));
      return { ok: ctxOf(request).words.agents.revoked };
    });
  });

  app.post('/users', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', ['admin'])!;
    const b = body(request);
    return change(request, reply, async () => {
      const created = await createConsoleUser(sdb, { login: String(b.login ?? ''), role: String(b.role ?? ''), password: String(b.password ?? '') }, actor(session));
      return { ok: ctxOf(request).words.agents.userCreated(created.login) };
    });
  });

  app.post('/users/:id/disable', async (request, reply) => {
    const session = signedIn(request, reply, 'agents', ['admin'])!;
    const { id } = idParams.parse(request.params);
    return change(request, reply, async () => {
      await disableConsoleUser(sdb, id, actor(session));
      const user = await db.selectFrom('console_users').select('login').where('id', '=', id).executeTakeFirst();
      return { ok: ctxOf(request).words.agents.userDisabled(user?.login ?? id) };
    });
  });
}
